import Discovery
import EnvoyAPI
import Logging
import MeshModel
import SwiftProtobuf
import Synchronization
import Testing
import XDSServer

/// A policy meshd had to make fail closed is not silent: the provider hands the translator's warning to the log
/// when it generates the listeners, once per distinct warning.
@Suite("Authorization warnings reach the log")
struct AuthorizationWarningLogTests {
    final class Capture: LogHandler, @unchecked Sendable {
        let lines = Mutex<[String]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.withLock { $0.append("\(event.level) \(event.message)") }
        }
    }

    static let mesh = """
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: shop}
        spec:
          clusterIP: 10.96.0.10
          selector: {app: api}
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: api-1, namespace: shop, labels: {app: api}}
        status: {podIP: 10.1.0.1}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: external, namespace: shop}
        spec:
          selector: {matchLabels: {app: api}}
          action: CUSTOM
          provider: {name: not-in-mesh-config}
          rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
        """

    static func sidecar(_ ip: String, pod: String, provider: MeshResourceProvider) throws -> ProxyClient {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~\(ip)~\(pod).shop~shop.svc.cluster.local"
        var metadata = Google_Protobuf_Struct()
        var labels = Google_Protobuf_Struct()
        labels.fields["app"] = Google_Protobuf_Value(stringValue: "api")
        metadata.fields["LABELS"] = Google_Protobuf_Value(structValue: labels)
        metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "shop")
        metadata.fields["INSTANCE_IPS"] = Google_Protobuf_Value(stringValue: ip)
        node.metadata = metadata
        return try provider.admit(node: node, peer: PeerInfo(remotePeer: "test"))
    }

    @Test func anUnknownCustomProviderIsLoggedOnceWithThePolicyAndTheProxy() async throws {
        let decoded = ConfigDecoder.decode(yaml: Self.mesh, file: "mesh.yaml")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        let capture = Capture()
        let log = AuthorizationWarningLog(logger: Logger(label: "test") { _ in capture })
        let provider = MeshResourceProvider(
            snapshot: MeshSnapshot.build(from: decoded.objects), authorizationWarnings: log)
        let first = try Self.sidecar("10.1.0.1", pod: "api-1", provider: provider)
        _ = await provider.resources(.listener, for: first)
        // A second generation (another view: a different pod IP with no workload) repeats the same warning.
        let second = try Self.sidecar("10.1.0.2", pod: "api-2", provider: provider)
        _ = await provider.resources(.listener, for: second)

        let warnings = log.current
        let custom = try #require(warnings.first { $0.warning.contains("not-in-mesh-config") })
        #expect(custom.warning.contains("CUSTOM AuthorizationPolicy"))
        #expect(custom.warning.contains("denied"))
        #expect(custom.proxyID.contains("api-1"))
        let logged = capture.lines.withLock { $0 }.filter { $0.contains("not-in-mesh-config") }
        // Each distinct warning once (HTTP and TCP chains say it in their own words), despite two generations.
        #expect(logged.count == warnings.filter { $0.warning.contains("not-in-mesh-config") }.count, "\(logged)")
        #expect(Set(logged).count == logged.count, "\(logged)")
        #expect(logged.first?.hasPrefix("warning authorization: ") == true)
    }

    @Test func withoutALogTheListenersAreTheSame() async throws {
        let snapshot = MeshSnapshot.build(from: ConfigDecoder.decode(yaml: Self.mesh, file: "mesh.yaml").objects)
        let withLog = MeshResourceProvider(
            snapshot: snapshot, authorizationWarnings: AuthorizationWarningLog(logger: Logger(label: "t")))
        let without = MeshResourceProvider(snapshot: snapshot)
        let a = await withLog.resources(.listener, for: try Self.sidecar("10.1.0.1", pod: "api-1", provider: withLog))
        let b = await without.resources(.listener, for: try Self.sidecar("10.1.0.1", pod: "api-1", provider: without))
        #expect(a.resources == b.resources)
        #expect(!a.resources.isEmpty)
    }
}
