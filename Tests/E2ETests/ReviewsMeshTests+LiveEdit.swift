import MeshTestSupport
import Testing

extension ReviewsMeshTests {
    @Test("editing the VirtualService file re-routes traffic within 3 s without restarting any Envoy")
    func liveEdit() async throws {
        let mesh = try ReviewsMesh.require()
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)
        let pids = mesh.sidecars.map(\.pid)
        let routesBefore = try mesh.clientRouteVersion()

        let edited = ContinuousClock.now
        try mesh.writeVirtualServiceFile(ReviewsConfig.allTo("v3"))
        // Probe in bursts of 10 for up to 8 s, so that a slow push is measured rather than only refused.
        var convergedAfter: Duration?
        var last: TrafficSummary?
        while convergedAfter == nil, ContinuousClock.now - edited < .seconds(8) {
            let burst = try await mesh.send(count: 10, maxSeconds: 2)
            last = burst
            if burst.ok == 10 && burst.pods == ["reviews-v3": 10] {
                convergedAfter = ContinuousClock.now - edited
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let after = try #require(
            convergedAfter, "traffic never moved to v3 within 8 s; last burst: \(String(describing: last))")
        mesh.markInForce(ReviewsConfig.allTo("v3"))
        #expect(after <= .seconds(3), "traffic moved to v3 only after \(after)")

        let settled = try await mesh.send(count: 50)
        #expect(settled.pods == ["reviews-v3": 50], "after the edit everything must go to v3: \(settled)")
        // The same Envoys took the change over xDS: new route version, same processes.
        #expect(try mesh.clientRouteVersion() != routesBefore, "the client's route configuration 9080 did not change")
        #expect(mesh.sidecars.map(\.pid) == pids)
        for sidecar in mesh.sidecars {
            #expect(sidecar.process.isRunning, "Envoy in \(sidecar.pod.name) (pid \(sidecar.pid)) is gone")
        }
    }
}
