import MeshTestSupport
import Testing

/// The reviews mesh again, with every Envoy bootstrapped by `meshd bootstrap --delta` (ads_config DELTA_GRPC):
/// the routing checks of `ReviewsMeshTests` pass over Delta ADS, and a VirtualService edit sends only routes.
@Suite("Reviews mesh end to end over Delta ADS", .serialized, .deltaReviewsMesh, .tags(.e2e))
struct DeltaReviewsMeshTests {
    /// meshd's `pilot_xds_pushes` per type, from `/metrics`.
    static func meshdPushes(_ mesh: ReviewsMesh) throws -> [String: Int] {
        let body = try mesh.meshd.admin("/metrics").body
        var pushes: [String: Int] = [:]
        for line in body.split(whereSeparator: \.isNewline) where line.hasPrefix("pilot_xds_pushes{") {
            for type in ["cds", "eds", "lds", "rds"] where line.contains("type=\"\(type)\"") {
                pushes[type] = line.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) } ?? 0
            }
        }
        return pushes
    }

    /// The client Envoy's xDS update counters: CDS, LDS, and the sum over its RDS subscriptions.
    static func envoyUpdates(_ sidecar: Sidecar) throws -> (cds: Int, lds: Int, rds: Int) {
        let rds = try sidecar.stats(matching: "\\.rds\\..*\\.update_success$").values.compactMap { Int($0) }.reduce(
            0, +)
        return (
            try sidecar.counter("cluster_manager.cds.update_success"),
            try sidecar.counter("listener_manager.lds.update_success"), rds
        )
    }

    @Test("over Delta ADS, a prefix match and a header match route to the named subsets")
    func matchRouting() async throws {
        let mesh = try ReviewsMesh.require()
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)
        let preview = try await mesh.send(count: 20, path: "/v2/ratings")
        #expect(preview.pods == ["reviews-v2": 20], "uri prefix /v2/ must route to subset v2: \(preview)")
        let jason = try await mesh.send(count: 20, path: "/reviews/7", headers: ["end-user": "jason"])
        #expect(jason.pods == ["reviews-v3": 20], "header end-user: jason must route to subset v3: \(jason)")
        #expect(try mesh.client.counter("control_plane.connected_state") == 1)
    }

    @Test("over Delta ADS, an 80/20 weighted route splits 500 requests within statistical tolerance")
    func weightedSplit() async throws {
        let mesh = try ReviewsMesh.require()
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)
        let summary = try await mesh.send(count: 500, path: "/reviews/0", maxSeconds: 90)
        #expect(summary.ok == 500, "\(summary)")
        #expect(summary.pods["reviews-v3", default: 0] == 0, "v3 has no weight: \(summary)")
        let v1 = summary.share(of: "reviews-v1")
        #expect((0.72...0.88).contains(v1), "v1 share \(v1) outside [0.72, 0.88]: \(summary)")
    }

    @Test("a live VirtualService edit re-routes traffic and sends only route configuration")
    func liveEditSendsOnlyRoutes() async throws {
        let mesh = try ReviewsMesh.require()
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)
        // Let the previous edit's pushes settle before taking the baseline.
        try await Task.sleep(for: .milliseconds(500))
        let pids = mesh.sidecars.map(\.pid)
        let envoyBefore = try Self.envoyUpdates(mesh.client)
        let meshdBefore = try Self.meshdPushes(mesh)

        try await mesh.applyVirtualService(ReviewsConfig.allTo("v3"))
        let settled = try await Poll.until("traffic to move to v3 over Delta ADS", timeout: .seconds(10)) {
            let burst = try await mesh.send(count: 20)
            return burst.pods == ["reviews-v3": 20] ? burst : nil
        }
        #expect(settled.ok == 20)

        let envoyAfter = try Self.envoyUpdates(mesh.client)
        let meshdAfter = try Self.meshdPushes(mesh)
        #expect(envoyAfter.rds > envoyBefore.rds, "the client's Envoy took new routes")
        #expect(envoyAfter.cds == envoyBefore.cds, "no cluster was sent for a route-only change")
        #expect(envoyAfter.lds == envoyBefore.lds, "no listener was sent for a route-only change")
        #expect(meshdAfter["rds", default: 0] > meshdBefore["rds", default: 0])
        #expect(
            meshdAfter["cds", default: 0] == meshdBefore["cds", default: 0],
            "meshd pushed CDS: \(meshdBefore) -> \(meshdAfter)")
        #expect(
            meshdAfter["lds", default: 0] == meshdBefore["lds", default: 0],
            "meshd pushed LDS: \(meshdBefore) -> \(meshdAfter)")
        #expect(
            meshdAfter["eds", default: 0] == meshdBefore["eds", default: 0],
            "meshd pushed EDS: \(meshdBefore) -> \(meshdAfter)")
        #expect(mesh.sidecars.map(\.pid) == pids)
    }
}
