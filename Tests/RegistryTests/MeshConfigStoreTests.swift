import Foundation
import Logging
import MeshModel
import Registry
import Testing

/// Istio's mesh config in the store: the last-good rule, the version, the outbound flag, mesh-wide lookups from the root
/// namespace, and the live reload of `meshd serve --mesh-config`. (Moved from MeshModelTests' `MeshConfigTests`, whose
/// decoding tests stay there.)
@Suite("Mesh config in the store")
struct MeshConfigStoreTests {
    @Test func storeKeepsTheLastGoodMeshConfigAndVersionsFollowIt() {
        let store = ConfigStore()
        store.load("a.yaml", serviceYAML("web"))
        let plain = store.snapshot().version
        #expect(store.snapshot().meshConfig == .default)

        #expect(store.apply(meshConfig: MeshConfigDecoder.decode(yaml: "rootNamespace: mesh-root", file: "m")))
        let rooted = store.snapshot().version
        #expect(rooted != plain)
        #expect(store.snapshot().meshConfig.rootNamespace == "mesh-root")

        #expect(!store.apply(meshConfig: MeshConfigDecoder.decode(yaml: "rootNamespace: BAD_", file: "m")))
        #expect(store.snapshot().meshConfig.rootNamespace == "mesh-root")
        #expect(store.snapshot().version == rooted)
        #expect(store.diagnostics().contains { $0.isError && $0.fieldPath == "rootNamespace" && $0.file == "m" })

        // Back to defaults: the version is the plain one again (defaults add nothing to it).
        #expect(store.apply(meshConfig: MeshConfigDecoder.decode(yaml: "", file: "m")))
        #expect(store.snapshot().version == plain)
        #expect(!store.diagnostics().contains { $0.isError })
    }

    @Test func outboundFlagOverridesTheMeshConfig() {
        let overridden = ConfigStore(outboundTrafficPolicyOverride: .allowAny)
        overridden.apply(
            meshConfig: MeshConfigDecoder.decode(yaml: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}", file: "m"))
        #expect(overridden.meshConfig().outboundTrafficPolicy == .allowAny)
        let plain = ConfigStore()
        #expect(plain.meshConfig().outboundTrafficPolicy == nil)
        plain.apply(
            meshConfig: MeshConfigDecoder.decode(yaml: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}", file: "m"))
        #expect(plain.meshConfig().outboundTrafficPolicy == .registryOnly)
    }

    @Test func rootNamespaceDrivesMeshWideLookups() {
        let store = ConfigStore()
        store.load(
            "a.yaml",
            """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: mesh-root}
            spec: {mtls: {mode: STRICT}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: all, namespace: mesh-root}
            spec: {host: "*.svc.cluster.local"}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-all, namespace: mesh-root}
            spec: {}
            """)
        #expect(store.snapshot().effectiveMutualTLS(namespace: "shop", labels: [:]).mode == .permissive)
        #expect(store.snapshot().destinationRule(for: "web.shop.svc.cluster.local", clientNamespace: "shop") == nil)
        #expect(store.snapshot().authorizationPolicies(namespace: "shop", labels: [:]).isEmpty)
        store.apply(meshConfig: MeshConfigDecoder.decode(yaml: "rootNamespace: mesh-root", file: "m"))
        let snapshot = store.snapshot()
        #expect(snapshot.effectiveMutualTLS(namespace: "shop", labels: [:]).mode == .strict)
        #expect(
            snapshot.destinationRule(for: "web.shop.svc.cluster.local", clientNamespace: "shop")?.meta.name == "all")
        #expect(snapshot.authorizationPolicies(namespace: "shop", labels: [:]).map(\.meta.name) == ["deny-all"])
    }

    /// `meshd serve --mesh-config`: the file is read at start (a bad one refuses to start) and watched; a bad edit
    /// keeps the last good config, a good one is applied with a new version.
    @Test func meshConfigFileIsReloadedLive() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-mesh-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mesh.yaml").path
        try "outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let store = ConfigStore(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let source = MeshConfigFileSource(
            path: path, store: store, pollInterval: .milliseconds(20),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try source.loadOnce()
        #expect(store.meshConfig().outboundTrafficPolicy == .registryOnly)
        let first = store.snapshot().version

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            defer { group.cancelAll() }
            try "outboundTrafficPolicy: {mode: NEVER}\n".write(toFile: path, atomically: true, encoding: .utf8)
            try await waitFor {
                store.diagnostics().contains { $0.isError && $0.fieldPath == "outboundTrafficPolicy.mode" }
            }
            #expect(store.meshConfig().outboundTrafficPolicy == .registryOnly)
            #expect(store.snapshot().version == first)
            try "outboundTrafficPolicy: {mode: ALLOW_ANY}\nrootNamespace: mesh-root\n".write(
                toFile: path, atomically: true, encoding: .utf8)
            try await waitFor { store.meshConfig().rootNamespace == "mesh-root" }
            #expect(store.meshConfig().outboundTrafficPolicy == .allowAny)
            #expect(store.snapshot().version != first)
        }

        try "rootNamespace: \"\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let refused = MeshConfigFileSource(path: path, store: ConfigStore(), logger: Logger(label: "t"))
        #expect(throws: MeshConfigFileSource.LoadError.self) { try refused.loadOnce() }
    }

    func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<250 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("condition not met within 5 s")
    }
}
