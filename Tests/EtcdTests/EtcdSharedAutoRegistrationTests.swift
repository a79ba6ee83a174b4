import EnvoyAPI
import EtcdClient
import Foundation
import MeshTestSupport
import SwiftProtobuf
import Testing
import XDSClient

/// Auto-registered WorkloadEntries in a replica set on etcd: the replica a VM's proxy connects to writes the entry
/// to etcd, so every replica serves it; it goes after the grace period once the proxy leaves; and when that
/// replica dies, a survivor deletes its entries once it has left the registry for the grace period.
@Suite("shared auto-registration in etcd", .tags(.etcd), .serialized)
struct EtcdSharedAutoRegistrationTests {
    static let group = """
        apiVersion: networking.istio.io/v1
        kind: WorkloadGroup
        metadata: {name: vms, namespace: shop}
        spec:
          metadata:
            labels: {app: inventory}
          template:
            serviceAccount: vm
            ports: {http: 8080}
        """
    static let entryKey = "/meshd/networking.istio.io/v1/WorkloadEntry/shop/vms-10.9.0.9"
    static let entryName = "WorkloadEntry/shop/vms-10.9.0.9"

    static var node: Envoy_Config_Core_V3_Node {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~10.9.0.9~vm-1.shop~shop.svc.cluster.local"
        node.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "shop")
        node.metadata.fields["SERVICE_ACCOUNT"] = Google_Protobuf_Value(stringValue: "vm")
        node.metadata.fields["AUTO_REGISTER_GROUP"] = Google_Protobuf_Value(stringValue: "vms")
        return node
    }

    /// Holds an ADS stream of the VM's proxy open on `socket` while `body` runs.
    static func connected(
        socket: String, token: String, _ body: @Sendable () async throws -> Void
    ) async throws {
        try await XDSClient.withADSStream(to: .unix(path: socket), metadata: ["authorization": "Bearer \(token)"]) {
            stream in
            stream.send(.make(type: "type.googleapis.com/envoy.config.cluster.v3.Cluster", node: node))
            var responses = stream.responses.makeAsyncIterator()
            _ = try await responses.next()
            try await body()
            stream.finish()
        }
    }

    /// Replicas a and b (grace period 1 s) on a fresh etcd holding the WorkloadGroup, with a token for the VM.
    static func withReplicas(
        label: String, _ body: @Sendable (EtcdServer, ReplicaSet, MeshdProcess, String) async throws -> Void
    ) async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await MeshNetwork.with(label: label) { network in
            try etcd.apply(Self.group, named: "group.yaml", in: network)
            let set = try await ReplicaSet.start(
                ["a", "b"], etcd: etcd, in: network, leaseTTL: 3,
                extraArguments: ["--workload-entry-grace-period", "1s"])
            let a = try set["a"]
            try await body(etcd, set, a, try a.token(namespace: "shop", serviceAccount: "vm"))
        }
    }

    static func stored(_ etcd: EtcdServer) async throws -> String? {
        try await etcd.withSession { try await $0.get(entryKey) }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    @Test("written by the replica its proxy is on, served by every replica, removed after the grace period")
    func sharedEntryLifecycle() async throws {
        try await Self.withReplicas(label: "etcd-autoreg") { etcd, set, a, token in
            try await Self.connected(socket: a.xdsSocket, token: token) {
                let text = try await Poll.until("the entry in etcd", timeout: .seconds(10)) {
                    try await Self.stored(etcd)
                }
                #expect(text.contains("\"istio.io/workloadController\":\"a\""), "\(text)")
                #expect(text.contains("\"istio.io/autoRegistrationGroup\":\"vms\""), "\(text)")
                for id in ["a", "b"] {
                    _ = try await Poll.until("the entry in force on \(id)", timeout: .seconds(10)) {
                        try set.objectsInForce(id).contains(Self.entryName) ? true : nil
                    }
                }
            }
            // The proxy left: after the grace period its replica deletes the entry, and every replica drops it.
            _ = try await Poll.until("the entry deleted after the grace period", timeout: .seconds(10)) {
                try await Self.stored(etcd) == nil ? true : nil
            }
            _ = try await Poll.until("the entry gone from b", timeout: .seconds(10)) {
                try set.objectsInForce("b").contains(Self.entryName) ? nil : true
            }
        }
    }

    @Test("a replica killed with its proxy connected: a survivor deletes the entry once the replica left the registry")
    func deadReplicasEntriesAreCollected() async throws {
        try await Self.withReplicas(label: "etcd-autoreg-kill") { etcd, set, a, token in
            try? await Self.connected(socket: a.xdsSocket, token: token) {
                _ = try await Poll.until("the entry in force on b", timeout: .seconds(10)) {
                    try set.objectsInForce("b").contains(Self.entryName) ? true : nil
                }
                a.process.killAbruptly()
            }
            // a's lease (3 s) expires, then b waits the grace period (1 s) before deleting a's entry.
            _ = try await Poll.until("b deleting the dead replica's entry", timeout: .seconds(20)) {
                try await Self.stored(etcd) == nil ? true : nil
            }
            #expect(try set.log("b").contains("a replica that left the registry"))
        }
    }
}
