import Foundation
import MeshModel
import MeshTestSupport
import Registry
import Testing

/// The `istio` ConfigMap of `istio-system` (key `mesh`) is read and watched: a good mesh config reaches every
/// snapshot with a new version, a bad one keeps the last good one, and deleting the ConfigMap restores istiod's
/// defaults. The security kinds are decoded from the API server like every modelled kind.
@Suite(.serialized) struct MeshConfigMapTests {
    @Test func meshConfigMapIsReadWatchedAndKeepsTheLastGoodConfig() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.meshConfigMap(mesh: "rootNamespace: mesh-root\ntrustDomain: example.org\n"))
        // A ConfigMap of the same name elsewhere is not the mesh config.
        try cluster.apply(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"istio","namespace":"default"},"data":{"mesh":"rootNamespace: wrong"}}"#
        )
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                try await waitForMeshConfig(meshd) { $0.rootNamespace == "mesh-root" }
                #expect(meshd.store.meshConfig().trustDomain == "example.org")
                let first = meshd.store.snapshot().version

                try cluster.apply(
                    FakeObjects.meshConfigMap(
                        mesh: "rootNamespace: mesh-root\noutboundTrafficPolicy: {mode: REGISTRY_ONLY}\n"))
                try await waitForMeshConfig(meshd) { $0.outboundTrafficPolicy == .registryOnly }
                #expect(meshd.store.snapshot().version != first)
                #expect(meshd.store.snapshot().meshConfig.trustDomain == MeshDefaults.trustDomain)

                // Bad: refused with its path, the last good one stays.
                try cluster.apply(FakeObjects.meshConfigMap(mesh: "outboundTrafficPolicy: {mode: SOMETIMES}\n"))
                _ = try await Poll.until("refusal", timeout: .seconds(5), interval: .milliseconds(20)) {
                    meshd.store.diagnostics().contains { $0.isError && $0.fieldPath == "outboundTrafficPolicy.mode" }
                        ? true : nil
                }
                #expect(meshd.store.meshConfig().outboundTrafficPolicy == .registryOnly)
                #expect(meshd.store.meshConfig().rootNamespace == "mesh-root")

                cluster.delete(kind: "ConfigMap", namespace: "istio-system", name: "istio")
                try await waitForMeshConfig(meshd) { $0 == .default }
            }
        }
    }

    @Test func securityPoliciesAreDecodedFromTheAPIServer() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.authorizationPolicy("deny-nothing", namespace: "shop"))
        try cluster.apply(
            #"{"apiVersion":"security.istio.io/v1","kind":"RequestAuthentication","metadata":{"name":"jwt","namespace":"shop"},"spec":{"jwtRules":[{"issuer":"https://issuer.example"}]}}"#
        )
        // Invalid: refused, never in the snapshot.
        try cluster.apply(
            #"{"apiVersion":"security.istio.io/v1","kind":"AuthorizationPolicy","metadata":{"name":"bad","namespace":"shop"},"spec":{"action":"DENY"}}"#
        )
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                _ = try await Poll.until("policies", timeout: .seconds(5), interval: .milliseconds(20)) {
                    meshd.keys.contains("RequestAuthentication/shop/jwt") ? true : nil
                }
                let snapshot = meshd.store.snapshot()
                #expect(
                    snapshot.authorizationPolicies(namespace: "shop", labels: [:]).map(\.meta.name) == ["deny-nothing"])
                #expect(
                    snapshot.requestAuthentications(namespace: "shop", labels: [:]).first?.jwtRules.first?.issuer
                        == "https://issuer.example")
                #expect(
                    meshd.store.diagnostics().contains {
                        $0.isError && $0.object?.name == "bad" && $0.fieldPath == "spec.rules"
                    })
            }
        }
    }

    func waitForMeshConfig(_ meshd: KubernetesMeshd, _ condition: @escaping @Sendable (MeshConfig) -> Bool) async throws
    {
        _ = try await Poll.until("mesh config", timeout: .seconds(5), interval: .milliseconds(20)) {
            condition(meshd.store.snapshot().meshConfig) ? true : nil
        }
    }
}
