import MeshTestSupport
import Testing

extension ReviewsMeshTests {
    @Test("editing the VirtualService file re-routes traffic within 3 s without restarting any Envoy")
    func liveEdit() async throws {
        try await ReviewsMesh.require().checkLiveEdit()
    }
}
