import Discovery
import EnvoyAPI
import MeshModel
import SwiftProtobuf
import Testing
import XDSServer

/// A router's listeners and routes depend on which Gateways select it, by its labels: two routers that differ
/// only in their labels must not share a cached generation.
@Suite("Push engine: gateway views")
struct GatewayViewTests {
    static let mesh = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: public, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: internal, namespace: istio-system}
        spec:
          selector: {istio: internalgateway}
          servers: [{port: {number: 9090, name: http, protocol: HTTP}, hosts: ["*"]}]
        """

    static func router(_ ip: String, labels: [String: String], provider: MeshResourceProvider) throws -> ProxyClient {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "router~\(ip)~gateway-\(ip).istio-system~istio-system.svc.cluster.local"
        var metadata = SwiftProtobuf.Google_Protobuf_Struct()
        var labelStruct = SwiftProtobuf.Google_Protobuf_Struct()
        for (key, value) in labels { labelStruct.fields[key] = SwiftProtobuf.Google_Protobuf_Value(stringValue: value) }
        metadata.fields["LABELS"] = SwiftProtobuf.Google_Protobuf_Value(structValue: labelStruct)
        node.metadata = metadata
        return try provider.admit(node: node, peer: PeerInfo(remotePeer: "test"))
    }

    @Test func routersThatDifferOnlyInLabelsGetTheirOwnListenersAndRoutes() async throws {
        let snapshot = MeshSnapshot.build(from: ConfigDecoder.decode(yaml: Self.mesh, file: "mesh.yaml").objects)
        let provider = MeshResourceProvider(snapshot: snapshot)
        let ingress = try Self.router("10.9.0.1", labels: ["istio": "ingressgateway"], provider: provider)
        let internalRouter = try Self.router("10.9.0.2", labels: ["istio": "internalgateway"], provider: provider)
        let twin = try Self.router("10.9.0.3", labels: ["istio": "ingressgateway"], provider: provider)

        let ingressListeners = await provider.resources(.listener, for: ingress)
        let internalListeners = await provider.resources(.listener, for: internalRouter)
        #expect(ingressListeners.resources.map(\.name) == ["0.0.0.0_8080"])
        #expect(internalListeners.resources.map(\.name) == ["0.0.0.0_9090"])
        let ingressRoutes = await provider.resources(.route, for: ingress)
        let internalRoutes = await provider.resources(.route, for: internalRouter)
        #expect(ingressRoutes.resources.map(\.name) == ["http.8080"])
        #expect(internalRoutes.resources.map(\.name) == ["http.9090"])

        // Same labels, same view: served from the cache.
        let cached = provider.cachedSets
        let twinListeners = await provider.resources(.listener, for: twin)
        #expect(provider.cachedSets == cached)
        #expect(twinListeners.resources == ingressListeners.resources)
    }
}
