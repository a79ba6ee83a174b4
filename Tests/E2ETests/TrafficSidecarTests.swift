import Foundation
import MeshTestSupport
import Testing

/// The Sidecar's `outboundTrafficPolicy` through real Envoys (issue 3): the client calls a pod that no Service,
/// ServiceEntry or WorkloadEntry describes. Under ALLOW_ANY the client's Envoy passes the connection through
/// `PassthroughCluster` and the request succeeds; under REGISTRY_ONLY it goes to `BlackHoleCluster` and fails,
/// while a registered Service stays reachable.
@Suite(
    "Sidecar outbound traffic policy end to end (meshd + real Envoys)", .serialized,
    .trafficSidecarMesh, .tags(.e2e))
struct TrafficSidecarTests {
    @Test("ALLOW_ANY: an unknown destination is reached through PassthroughCluster")
    func allowAnyPassesThrough() async throws {
        let mesh = try TrafficSidecarMesh.require()
        try await mesh.applySidecar(mode: "ALLOW_ANY", expecting: "PassthroughCluster")
        let before = try mesh.client.counter("cluster.PassthroughCluster.upstream_cx_total")
        let traffic = try await mesh.sendToStranger()
        #expect(traffic.ok == traffic.sent && traffic.sent == 3, "\(traffic)")
        #expect(traffic.responses.first?.echo?.service == "stranger", "\(traffic)")
        let after = try mesh.client.counter("cluster.PassthroughCluster.upstream_cx_total")
        #expect(after >= before + 1, "PassthroughCluster connections \(before) -> \(after)")
        print(
            "TrafficSidecar ALLOW_ANY: \(traffic.ok)/\(traffic.sent) to the stranger; PassthroughCluster cx \(before) -> \(after)"
        )
    }

    @Test(
        "REGISTRY_ONLY: an unknown destination goes to BlackHoleCluster and fails; a Service still works"
    )
    func registryOnlyBlackHoles() async throws {
        let mesh = try TrafficSidecarMesh.require()
        try await mesh.applySidecar(mode: "REGISTRY_ONLY", expecting: "BlackHoleCluster")
        let blackHole = "cluster.BlackHoleCluster.upstream_cx_none_healthy"
        let before = try mesh.client.counter(blackHole)
        let traffic = try await mesh.sendToStranger()
        #expect(traffic.ok == 0, "requests to an unregistered destination must fail: \(traffic)")
        let after = try mesh.client.counter(blackHole)
        #expect(
            after >= before + traffic.sent,
            "BlackHoleCluster \(blackHole) \(before) -> \(after) for \(traffic.sent) requests")
        let known = try await mesh.sendToEcho(count: 3)
        #expect(known.ok == 3, "the registered echo Service must stay reachable: \(known)")
        print(
            "TrafficSidecar REGISTRY_ONLY: \(traffic.ok)/\(traffic.sent) to the stranger (errors \(traffic.errors)); "
                + "\(blackHole) \(before) -> \(after); echo \(known.ok)/\(known.sent)")
        // Back to ALLOW_ANY, so the suite ends as it started.
        try await mesh.applySidecar(mode: "ALLOW_ANY", expecting: "PassthroughCluster")
    }
}
