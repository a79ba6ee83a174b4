import MeshTestSupport
import Testing

/// `meshd serve` as an operator runs it: ready once its config is loaded, gone cleanly on SIGTERM.
@Suite("meshd serve lifecycle", .tags(.e2e))
struct MeshdLifecycleTests {
    @Test("meshd serve answers /ready with the config loaded and exits with status 0 on SIGTERM")
    func readyThenGracefulExit() async throws {
        try await MeshNetwork.with(label: "lifecycle") { network in
            let meshd = try await MeshdProcess.start(
                in: network, configFiles: ["reviews.yaml": ReviewsConfig.serviceAndSubsets])
            let keys = try meshd.configz().objects.map(\.key)
            #expect(
                keys.contains("Service/default/reviews") && keys.contains("DestinationRule/default/reviews"), "\(keys)")

            meshd.stop()
            #expect(meshd.process.termination == .exited(0), "meshd log ends with:\n\(meshd.process.logTail())")
        }
    }
}
