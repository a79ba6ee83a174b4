import EnvoyAPI
import Foundation
import MeshTestSupport
import SwiftProtobuf
import Testing
import XDSClient

/// Auto-registered WorkloadEntries in a replica set on Kubernetes, as istiod writes them: the replica a VM's proxy
/// connects to creates the WorkloadEntry through the API server (every replica reads it back), deletes it after
/// the grace period once the proxy leaves, and a survivor deletes the entries of a replica that died.
@Suite(.serialized) struct KubernetesSharedAutoRegistrationTests {
    static let group = """
        {"apiVersion":"networking.istio.io/v1","kind":"WorkloadGroup","metadata":{"name":"vms","namespace":"shop"},\
        "spec":{"metadata":{"labels":{"app":"inventory"}},"template":{"serviceAccount":"vm","ports":{"http":8080}}}}
        """

    static var node: Envoy_Config_Core_V3_Node {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~10.9.0.9~vm-1.shop~shop.svc.cluster.local"
        node.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "shop")
        node.metadata.fields["SERVICE_ACCOUNT"] = Google_Protobuf_Value(stringValue: "vm")
        node.metadata.fields["AUTO_REGISTER_GROUP"] = Google_Protobuf_Value(stringValue: "vms")
        return node
    }

    /// Holds an ADS stream of the VM's proxy open on `socket` while `body` runs (the replicas trust node metadata
    /// on their UNIX sockets).
    static func connected(socket: String, _ body: @Sendable () async throws -> Void) async throws {
        try await XDSClient.withADSStream(to: .unix(path: socket)) { stream in
            stream.send(.make(type: "type.googleapis.com/envoy.config.cluster.v3.Cluster", node: node))
            var responses = stream.responses.makeAsyncIterator()
            _ = try await responses.next()
            try await body()
            stream.finish()
        }
    }

    @Test func entriesGoThroughTheAPIServerAndAreCollected() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("shop"))
        try cluster.apply(Self.group)
        let entry: @Sendable () -> String? = {
            cluster.object(kind: "WorkloadEntry", namespace: "shop", name: "vms-10.9.0.9")
        }
        try await cluster.serving { apiPort in
            try await KubernetesReplicaSet.with(
                ["a", "b"], apiPort: apiPort, firstAdminPort: try MeshdProcess.freeLocalPort(),
                leaseDuration: .seconds(2), security: true, workloadEntryGracePeriod: .seconds(1)
            ) { set in
                try await set.waitUntilReady()
                let (a, b) = (try set["a"], try set["b"])
                try await Self.connected(socket: a.xdsSocket) {
                    let text = try await Poll.until("the entry in the API server", timeout: .seconds(10)) { entry() }
                    #expect(text.contains("\"istio.io/workloadController\":\"a\""), "\(text)")
                    _ = try await Poll.until("the entry in force on b", timeout: .seconds(10)) {
                        b.application.store.objects().contains { $0.key.description == "WorkloadEntry/shop/vms-10.9.0.9" }
                            ? true : nil
                    }
                }
                _ = try await Poll.until("the entry deleted after the grace period", timeout: .seconds(10)) {
                    entry() == nil ? true : nil
                }
                #expect(cluster.writes.contains { $0.method == "DELETE" && $0.code == 200 })

                try? await Self.connected(socket: a.xdsSocket) {
                    _ = try await Poll.until("the entry back", timeout: .seconds(10)) { entry() }
                    try set.crash("a")
                }
                // a's Lease (2 s) runs out, then b waits the grace period (1 s) before deleting a's entry.
                _ = try await Poll.until("b deleting the dead replica's entry", timeout: .seconds(20)) {
                    entry() == nil ? true : nil
                }
            }
        }
    }
}
