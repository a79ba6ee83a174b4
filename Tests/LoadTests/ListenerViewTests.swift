import MeshModel
import SyntheticMesh
import Testing
import XDSTranslator

/// How many distinct LDS views the benchmark mesh makes: listener inputs keep only the label keys that something in
/// the snapshot selects or matches on, so workloads of one namespace and port set share one view until a policy
/// tells them apart.
@Suite struct ListenerViewTests {
    static let mesh = SyntheticMesh(services: 100, endpointsPerService: 5, namespaces: 10)

    static func snapshot(extra: String = "") -> MeshSnapshot {
        let yaml = mesh.files().map(\.1).joined(separator: "---\n") + extra
        return MeshSnapshot.build(from: ConfigDecoder.decode(yaml: yaml, file: "mesh.yaml").objects)
    }

    /// The first `count` workloads of the mesh as sidecars, with the labels their WorkloadEntries carry.
    static func proxies(_ count: Int) throws -> [Proxy] {
        try (0..<count).map { index in
            let workload = mesh.workload(at: index)
            return try Proxy(
                nodeID:
                    "sidecar~\(workload.address)~\(workload.name).\(workload.namespace)~\(workload.namespace).svc.cluster.local",
                metadata: ["NAMESPACE": workload.namespace],
                labels: ["app": workload.app, "version": workload.version])
        }
    }

    @Test func workloadsDifferingOnlyInUnselectedLabelsShareOneListenerView() throws {
        let index = ProxyInputsIndex(Self.snapshot())
        let proxies = try Self.proxies(200)
        let views = Set(proxies.map { index.listenerInputs(of: $0) })
        // 200 proxies of 40 services (3 versions each) in 10 namespaces, all on the same ports: one view per
        // namespace. Keyed by raw labels they made 120.
        #expect(views.count == 10)
        #expect(views.allSatisfy { $0.workloadLabels.isEmpty })
    }

    @Test func aSelectorTellsTheWorkloadsItSelectsApart() throws {
        let policy = """
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: v2-strict, namespace: ns-1}
            spec:
              selector: {matchLabels: {version: v2}}
              mtls: {mode: STRICT}
            """
        let index = ProxyInputsIndex(Self.snapshot(extra: policy))
        let proxies = try Self.proxies(200)
        let views = Set(proxies.map { index.listenerInputs(of: $0) })
        // The selector's key is kept for every workload: each namespace splits by version (3 values).
        #expect(views.count == 30)
        #expect(views.allSatisfy { Array($0.workloadLabels.keys) == ["version"] })
        let v2 = try #require(proxies.first { $0.labels["version"] == "v2" && $0.namespace == "ns-1" })
        #expect(index.listenerInputs(of: v2).workloadLabels == ["version": "v2"])
    }

    @Test func tracingKeepsTheAppLabelForTheTracersServiceName() throws {
        let telemetry = """
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              accessLogging: [{providers: [{name: envoy}]}]
            """
        let index = ProxyInputsIndex(Self.snapshot(extra: telemetry))
        let proxy = try #require(try Self.proxies(1).first)
        #expect(index.listenerInputs(of: proxy).workloadLabels == ["app": "svc-0"])
    }
}
