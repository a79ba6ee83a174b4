import MeshModel
import Testing

/// How the snapshot resolves the mode in force for a workload: workload > namespace > mesh, UNSET inherits.
@Suite("PeerAuthentication resolution")
struct PeerAuthenticationResolutionTests {
    static func policy(
        _ name: String, _ namespace: String, selector: [String: String]? = nil, mode: MutualTLSMode?,
        ports: [Int: MutualTLSMode] = [:]
    ) -> ConfigObject {
        ConfigObject(
            resource: .peerAuthentication(
                PeerAuthentication(
                    meta: ObjectMeta(name: name, namespace: namespace), selector: selector, mode: mode,
                    portLevelModes: ports)),
            source: SourceLocation(file: "test.yaml", document: 1))
    }

    @Test func nothingSetIsPermissive() {
        let snapshot = MeshSnapshot.build(from: [])
        #expect(snapshot.effectiveMutualTLS(namespace: "default", labels: [:]) == EffectiveMutualTLS(mode: .permissive))
    }

    @Test func meshWideAppliesEverywhereAndNamespaceOverrides() {
        let snapshot = MeshSnapshot.build(from: [
            Self.policy("default", MeshDefaults.rootNamespace, mode: .strict),
            Self.policy("default", "legacy", mode: .permissive),
        ])
        #expect(snapshot.effectiveMutualTLS(namespace: "shop", labels: [:]).mode == .strict)
        #expect(snapshot.effectiveMutualTLS(namespace: "legacy", labels: [:]).mode == .permissive)
    }

    @Test func unsetInheritsAndWorkloadPortsOverride() {
        let snapshot = MeshSnapshot.build(from: [
            Self.policy("default", MeshDefaults.rootNamespace, mode: .strict),
            Self.policy("default", "shop", mode: .unset),
            Self.policy(
                "orders", "shop", selector: ["app": "orders"], mode: nil, ports: [8080: .disable, 9090: .unset]),
        ])
        let orders = snapshot.effectiveMutualTLS(namespace: "shop", labels: ["app": "orders"])
        #expect(orders.mode == .strict)
        #expect(orders.mode(forPort: 8080) == .disable)
        #expect(orders.mode(forPort: 9090) == .strict)
        #expect(snapshot.effectiveMutualTLS(namespace: "shop", labels: ["app": "cart"]).portModes.isEmpty)
    }

    @Test func selectorInRootNamespaceOnlyCoversRootNamespaceWorkloads() {
        let snapshot = MeshSnapshot.build(from: [
            Self.policy("gw", MeshDefaults.rootNamespace, selector: ["app": "gw"], mode: .disable)
        ])
        #expect(snapshot.effectiveMutualTLS(namespace: "shop", labels: ["app": "gw"]).mode == .permissive)
        #expect(
            snapshot.effectiveMutualTLS(namespace: MeshDefaults.rootNamespace, labels: ["app": "gw"]).mode == .disable)
    }

    @Test func podsTakeMutualTLSOnlyWhenLabelledIstio() {
        let result = decode(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec:
              selector: {app: web}
              ports: [{name: http, port: 80}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-0, namespace: default, labels: {app: web, security.istio.io/tlsMode: istio}}
            status: {podIP: 10.0.0.1}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
              namespace: default
              labels: {app: web}
            status: {podIP: 10.0.0.2}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-2, namespace: default, labels: {app: web, security.istio.io/tlsMode: disabled}}
            status: {podIP: 10.0.0.3}
            """)
        let snapshot = MeshSnapshot.build(from: result.objects)
        let endpoints = snapshot.endpoints(hostname: "web.default.svc.cluster.local", port: 80)
        // As istiod: the injector's label says istio; a pod without it was not injected.
        #expect(endpoints.map(\.hasSidecar) == [true, false, false])
    }
}
