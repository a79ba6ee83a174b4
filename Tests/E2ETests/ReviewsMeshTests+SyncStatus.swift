import MeshTestSupport
import Testing

extension ReviewsMeshTests {
    @Test("each Envoy runs the CDS, LDS, RDS and EDS versions that meshd's /debug/syncz shows as ACKed")
    func envoyVersionsMatchSyncz() async throws {
        let mesh = try ReviewsMesh.require()
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)
        try await mesh.checkVersionsMatchSyncz()
    }
}
