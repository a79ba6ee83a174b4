import MeshTestSupport
import Testing

/// VirtualService `tcp` routes through real Envoys: opaque TCP connections from the client pod to the db VIP land
/// on the pod the route names. Path: client app → iptables → client Envoy (15001) → listener `10.96.0.30_<port>` →
/// tcp_proxy (one cluster or weighted clusters) → db pod → its Envoy (15006) → tcp_name_server.
@Suite(
    "VirtualService tcp routes and ServiceEntries end to end (meshd + real Envoys)", .serialized, .l4Mesh, .tags(.e2e))
struct TrafficTCPTests {
    static func cluster(_ port: Int, _ subset: String) -> String {
        "cluster.outbound|\(port)|\(subset)|db.default.svc.cluster.local.upstream_cx_total"
    }

    @Test("a port match sends every connection on 7000 to subset v1")
    func portMatch() async throws {
        let mesh = try L4Mesh.require()
        try await mesh.applyRoutes(L4Config.portRoutes)
        let before = try mesh.client.counter(Self.cluster(7000, "v1"))
        let summary = try await mesh.connect(port: 7000, count: 30)
        #expect(summary.ok == 30, "\(summary)")
        #expect(summary.names == ["db-v1 7000": 30], "port 7000 must reach db-v1 only: \(summary)")
        #expect(try mesh.client.counter(Self.cluster(7000, "v1")) - before >= 30)
    }

    @Test("a 70/30 weighted tcp route splits 200 connections within statistical tolerance")
    func weightedSplit() async throws {
        let mesh = try L4Mesh.require()
        try await mesh.applyRoutes(L4Config.portRoutes)
        let summary = try await mesh.connect(port: 7001, count: 200, maxSeconds: 25)
        #expect(summary.ok == 200, "\(summary)")
        // 200 draws at p = 0.7: the standard deviation is 0.032, so [0.58, 0.82] is about 3.7 of them.
        let v1 = summary.share(of: "db-v1 7001")
        #expect((0.58...0.82).contains(v1), "v1 share \(v1) outside [0.58, 0.82]: \(summary)")
        #expect(summary.names["db-v1 7001", default: 0] + summary.names["db-v2 7001", default: 0] == summary.ok)
    }

    @Test("sourceLabels: a rule for other clients is skipped, the client's own rule applies")
    func sourceLabels() async throws {
        let mesh = try L4Mesh.require()
        try await mesh.applyRoutes(L4Config.sourceLabelRoutes)
        let own = try await mesh.connect(port: 7000, count: 10)
        #expect(own.names == ["db-v2 7000": 10], "the app=client rule names v2: \(own)")
        let rest = try await mesh.connect(port: 7001, count: 10)
        #expect(rest.names == ["db-v1 7001": 10], "port 7001 falls through to the catch-all: \(rest)")
    }
}
