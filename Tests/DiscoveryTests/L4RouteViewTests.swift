import Discovery
import EnvoyAPI
import MeshModel
import SwiftProtobuf
import Testing
import XDSServer

/// A VirtualService `tcp` match on `sourceLabels` makes a sidecar's listeners depend on its labels: two sidecars
/// that differ only in their labels must not share a cached LDS generation.
@Suite("Push engine: tcp route views")
struct L4RouteViewTests {
    static let mesh = """
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: default}
        spec:
          clusterIP: 10.96.0.30
          ports: [{name: tcp, port: 7000}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: db, namespace: default}
        spec:
          hosts: [db]
          tcp:
          - match: [{sourceLabels: {app: reporting}}]
            route: [{destination: {host: db, subset: reports}}]
          - route: [{destination: {host: db}}]
        """

    static func sidecar(_ ip: String, labels: [String: String], provider: MeshResourceProvider) throws -> ProxyClient {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~\(ip)~pod-\(ip).default~default.svc.cluster.local"
        var metadata = SwiftProtobuf.Google_Protobuf_Struct()
        var labelStruct = SwiftProtobuf.Google_Protobuf_Struct()
        for (key, value) in labels { labelStruct.fields[key] = SwiftProtobuf.Google_Protobuf_Value(stringValue: value) }
        metadata.fields["LABELS"] = SwiftProtobuf.Google_Protobuf_Value(structValue: labelStruct)
        metadata.fields["NAMESPACE"] = SwiftProtobuf.Google_Protobuf_Value(stringValue: "default")
        node.metadata = metadata
        return try provider.admit(node: node, peer: PeerInfo(remotePeer: "test"))
    }

    /// The cluster the `10.96.0.30_7000` listener's tcp_proxy names.
    static func tcpCluster(_ resources: [XDSResource]) throws -> String {
        let resource = try #require(resources.first { $0.name == "10.96.0.30_7000" })
        let listener = try Envoy_Config_Listener_V3_Listener(unpackingAny: resource.resource)
        let filter = try #require(listener.filterChains.first?.filters.first)
        return try Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy(unpackingAny: filter.typedConfig).cluster
    }

    @Test func sidecarsThatDifferOnlyInLabelsGetTheirOwnListeners() async throws {
        let snapshot = MeshSnapshot.build(from: ConfigDecoder.decode(yaml: Self.mesh, file: "mesh.yaml").objects)
        let provider = MeshResourceProvider(snapshot: snapshot)
        let reporting = try Self.sidecar("10.9.0.1", labels: ["app": "reporting"], provider: provider)
        let web = try Self.sidecar("10.9.0.2", labels: ["app": "web"], provider: provider)
        let reportingListeners = await provider.resources(.listener, for: reporting)
        let webListeners = await provider.resources(.listener, for: web)
        #expect(
            try Self.tcpCluster(reportingListeners.resources) == "outbound|7000|reports|db.default.svc.cluster.local")
        #expect(try Self.tcpCluster(webListeners.resources) == "outbound|7000||db.default.svc.cluster.local")
    }
}
