import Discovery
import EnvoyAPI
import MeshModel
import SwiftProtobuf
import Testing
import XDSServer

/// The Sidecar that selects a proxy is part of its view for every type: two proxies that differ only in the
/// labels a Sidecar's workloadSelector matches must not share generated resources.
@Suite struct SidecarViewTests {
    static let mesh = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          selector: {app: reviews}
          clusterIP: 10.96.0.5
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: other}
        spec:
          selector: {app: ratings}
          clusterIP: 10.96.0.6
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: locked, namespace: bookinfo}
        spec:
          workloadSelector:
            labels: {locked: "true"}
          egress:
          - hosts: ["./*"]
          outboundTrafficPolicy: {mode: REGISTRY_ONLY}
        """

    static func client(labels: [String: String]) throws -> ProxyClient {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~10.9.0.1~client.bookinfo~bookinfo.svc.cluster.local"
        var labelStruct = Google_Protobuf_Struct()
        for (key, value) in labels {
            labelStruct.fields[key] = Google_Protobuf_Value(stringValue: value)
        }
        node.metadata.fields["LABELS"] = Google_Protobuf_Value(structValue: labelStruct)
        return try MeshResourceProvider(snapshot: MeshSnapshot.build(from: [])).admit(
            node: node, peer: PeerInfo(remotePeer: "test"))
    }

    @Test func proxiesDifferingOnlyInTheSelectedSidecarGetDifferentResources() async throws {
        let snapshot = MeshSnapshot.build(
            from: ConfigDecoder.decode(yaml: Self.mesh, file: "mesh.yaml").objects)
        let provider = MeshResourceProvider(snapshot: snapshot)
        let open = try Self.client(labels: ["app": "client"])
        let locked = try Self.client(labels: ["app": "client", "locked": "true"])

        for type in [XDSType.cluster, .endpoint, .listener, .route] {
            let first = await provider.resources(type, for: open)
            let second = await provider.resources(type, for: locked)
            #expect(
                first.version != second.version, "\(type) shared between a scoped and an unscoped proxy")
        }
        let openClusters = await provider.resources(.cluster, for: open).resources.map(\.name)
        let lockedClusters = await provider.resources(.cluster, for: locked).resources.map(\.name)
        #expect(openClusters.contains("outbound|9080||ratings.other.svc.cluster.local"))
        #expect(!lockedClusters.contains("outbound|9080||ratings.other.svc.cluster.local"))
        #expect(lockedClusters.contains("outbound|9080||reviews.bookinfo.svc.cluster.local"))

        // A third proxy with the same selected Sidecar shares the scoped proxy's generated set.
        let cached = provider.cachedSets
        let alsoLocked = try Self.client(labels: ["app": "other", "locked": "true"])
        _ = await provider.resources(.cluster, for: alsoLocked)
        #expect(provider.cachedSets == cached)
    }
}
