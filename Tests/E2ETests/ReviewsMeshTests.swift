import MeshTestSupport
import Testing

/// Istio's reviews example through real Envoys: meshd's routes, clusters and endpoints decide which backend pod
/// answers a real HTTP request sent by a client pod to the Service VIP.
///
/// Path of every request: client app → iptables → client Envoy (15001, `virtualOutbound`) → route `9080` →
/// cluster `outbound|9080|<subset>|reviews.default.svc.cluster.local` → backend pod IP:9080 → iptables → backend
/// Envoy (15006, `virtualInbound`) → cluster `inbound|9080||` → echo app.
@Suite("Reviews mesh end to end (meshd + real Envoys)", .serialized, .reviewsMesh, .tags(.e2e))
struct ReviewsMeshTests {
    static let fqdn = "reviews.default.svc.cluster.local"

    static func outboundRequests(_ sidecar: Sidecar, subset: String) throws -> Int {
        try sidecar.counter("cluster.outbound|\(ReviewsConfig.port)|\(subset)|\(fqdn).upstream_rq_total")
    }

    @Test("a uri prefix match and a header match send requests to the subset the VirtualService names")
    func matchRouting() async throws {
        let mesh = try ReviewsMesh.require()
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)
        let v2Before = try Self.outboundRequests(mesh.client, subset: "v2")
        let v3Before = try Self.outboundRequests(mesh.client, subset: "v3")

        let preview = try await mesh.send(count: 20, path: "/v2/ratings")
        #expect(preview.ok == 20, "\(preview)")
        #expect(preview.pods == ["reviews-v2": 20], "uri prefix /v2/ must route to subset v2: \(preview)")
        let reply = try #require(preview.samples.first)
        #expect(reply.service == "reviews")
        #expect(reply.path == "/v2/ratings")
        #expect(reply.headers["x-request-id"] != nil, "no x-request-id: the request skipped the client's HTTP proxy")

        let jason = try await mesh.send(count: 20, path: "/reviews/7", headers: ["end-user": "jason"])
        #expect(jason.ok == 20, "\(jason)")
        #expect(jason.pods == ["reviews-v3": 20], "header end-user: jason must route to subset v3: \(jason)")
        #expect(jason.samples.first?.headers["end-user"] == "jason")

        // The client's Envoy used the subset clusters named as Istio names them...
        #expect(try Self.outboundRequests(mesh.client, subset: "v2") - v2Before >= 20)
        #expect(try Self.outboundRequests(mesh.client, subset: "v3") - v3Before >= 20)
        // ...and the backends' Envoys took the requests in through their inbound cluster.
        for version in ["v2", "v3"] {
            let backend = try #require(mesh.reviews[version])
            #expect(
                try backend.counter("cluster.inbound|\(ReviewsConfig.port)||.upstream_cx_total") >= 1,
                "reviews-\(version)'s sidecar did not forward through inbound|\(ReviewsConfig.port)||")
        }
    }

    @Test("an 80/20 weighted route splits 500 requests within statistical tolerance")
    func weightedSplit() async throws {
        let mesh = try ReviewsMesh.require()
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)

        let summary = try await mesh.send(count: 500, path: "/reviews/0", maxSeconds: 90)
        #expect(summary.ok == 500, "\(summary)")
        #expect(summary.pods["reviews-v3", default: 0] == 0, "v3 has no weight: \(summary)")
        // 500 draws at p = 0.8: the standard deviation is 0.018, so [0.72, 0.88] is about 4.5 of them.
        let v1 = summary.share(of: "reviews-v1")
        #expect((0.72...0.88).contains(v1), "v1 share \(v1) outside [0.72, 0.88]: \(summary)")
        #expect(summary.pods["reviews-v1", default: 0] + summary.pods["reviews-v2", default: 0] == summary.ok)
    }
}
