import Discovery
import EnvoyAPI
import MeshModel
import SwiftProtobuf
import Testing
import XDSServer

/// RDS depends on the client's labels once a VirtualService matches on `sourceLabels`: two sidecars that differ only
/// in their labels must not share a cached route generation then, and still share it when no VirtualService does.
@Suite("Push engine: route views and sourceLabels")
struct RouteViewTests {
    static func mesh(sourceLabels: Bool) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          clusterIP: 10.96.0.5
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          hosts: [reviews]
          http:
          - name: canary
            match:
            - \(sourceLabels ? "sourceLabels: {version: canary}" : "uri: {prefix: /canary}")
            route:
            - destination: {host: reviews, subset: v2}
          - name: rest
            route:
            - destination: {host: reviews, subset: v1}
        """
    }

    static func client(_ ip: String, version: String, provider: MeshResourceProvider) throws -> ProxyClient {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~\(ip)~client-\(version).bookinfo~bookinfo.svc.cluster.local"
        var labels = Google_Protobuf_Struct()
        labels.fields["app"] = Google_Protobuf_Value(stringValue: "client")
        labels.fields["version"] = Google_Protobuf_Value(stringValue: version)
        var metadata = Google_Protobuf_Struct()
        metadata.fields["LABELS"] = Google_Protobuf_Value(structValue: labels)
        node.metadata = metadata
        return try provider.admit(node: node, peer: PeerInfo(remotePeer: "test"))
    }

    /// The route names of the reviews virtual host in route configuration 9080.
    static func routeNames(_ resources: [XDSResource]) throws -> [String] {
        let resource = try #require(resources.first { $0.name == "9080" })
        let configuration = try Envoy_Config_Route_V3_RouteConfiguration(serializedBytes: resource.resource.value)
        let host = try #require(configuration.virtualHosts.first { $0.name.hasPrefix("reviews.bookinfo") })
        return host.routes.map(\.name)
    }

    @Test func clientsThatDifferOnlyInLabelsGetTheirOwnRoutes() async throws {
        let snapshot = MeshSnapshot.build(
            from: ConfigDecoder.decode(yaml: Self.mesh(sourceLabels: true), file: "mesh.yaml").objects)
        let provider = MeshResourceProvider(snapshot: snapshot)
        let canary = try Self.client("10.9.0.1", version: "canary", provider: provider)
        let stable = try Self.client("10.9.0.2", version: "stable", provider: provider)
        let canaryRoutes = await provider.resources(.route, for: canary)
        let stableRoutes = await provider.resources(.route, for: stable)
        #expect(try Self.routeNames(canaryRoutes.resources) == ["canary"], "a catch-all for canary clients")
        #expect(try Self.routeNames(stableRoutes.resources) == ["rest"])
    }

    @Test func withoutSourceLabelsTheLabelsDoNotSplitTheCache() async throws {
        let snapshot = MeshSnapshot.build(
            from: ConfigDecoder.decode(yaml: Self.mesh(sourceLabels: false), file: "mesh.yaml").objects)
        let provider = MeshResourceProvider(snapshot: snapshot)
        let canary = try Self.client("10.9.0.1", version: "canary", provider: provider)
        let stable = try Self.client("10.9.0.2", version: "stable", provider: provider)
        let first = await provider.resources(.route, for: canary)
        let cached = provider.cachedSets
        let second = await provider.resources(.route, for: stable)
        #expect(provider.cachedSets == cached, "the second client was served from the cache")
        #expect(first.resources == second.resources)
        #expect(try Self.routeNames(first.resources) == ["canary", "rest"])
    }
}
