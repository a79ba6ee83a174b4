import MeshTestSupport
import Testing

/// Services known only through ServiceEntries: the legacy pod has no Service, no sidecar and no WorkloadEntry.
extension TrafficTCPTests {
    @Test("HTTP to a STATIC ServiceEntry's address reaches its inline endpoint")
    func staticServiceEntry() async throws {
        let mesh = try L4Mesh.require()
        let cluster = "cluster.outbound|8080||\(L4Mesh.legacyHTTPHost).upstream_rq_total"
        let before = try mesh.client.counter(cluster)
        let summary = try await mesh.client.pod.sendRequests(
            to: "http://\(L4Mesh.legacyHTTPVIP):8080/orders", host: L4Mesh.legacyHTTPHost, count: 10)
        #expect(summary.ok == 10, "\(summary)")
        #expect(summary.pods == ["legacy": 10], "\(summary)")
        let reply = try #require(summary.samples.first)
        #expect(reply.path == "/orders")
        // Routed by the client's Envoy (it added x-request-id) through the ServiceEntry's cluster.
        #expect(reply.headers["x-request-id"] != nil, "the request skipped the client's HTTP proxy: \(reply)")
        #expect(try mesh.client.counter(cluster) - before >= 10)
    }

    @Test("TCP to a DNS ServiceEntry's address reaches its endpoint through a STRICT_DNS cluster")
    func dnsServiceEntry() async throws {
        let mesh = try L4Mesh.require()
        let cluster = "cluster.outbound|7100||\(L4Mesh.legacyTCPHost).upstream_cx_total"
        let before = try mesh.client.counter(cluster)
        let summary = try await mesh.connect(address: L4Mesh.legacyTCPVIP, port: 7100, count: 10)
        #expect(summary.names == ["legacy 7100": 10], "\(summary)")
        #expect(try mesh.client.counter(cluster) - before >= 10)
    }
}
