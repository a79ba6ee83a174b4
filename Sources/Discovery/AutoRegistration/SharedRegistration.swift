public import Foundation
public import MeshModel

/// Where a replica set keeps auto-registered WorkloadEntries, so that every replica serves them (istiod writes them
/// to the Kubernetes API, which every istiod reads): etcd (`EtcdRegisteredEntryStore`) or the Kubernetes API
/// (`KubernetesRegisteredEntryStore`). The entries come back to each replica through its config source.
public protocol RegisteredEntryStore: Sendable {
    /// The etcd prefix or API server, for messages.
    var location: String { get }
    /// Creates or replaces `entry`.
    func put(_ entry: WorkloadEntry) async throws
    /// Deletes the entry `key` if its `istio.io/workloadController` is still `controller`: a replica never deletes
    /// an entry another replica took over when its proxy moved there.
    func delete(_ key: ResourceKey, ifControlledBy controller: String) async throws
}

/// Auto-registration in a replica set: the store, this replica's id (written as the entries' controller), and the
/// replicas alive now (the registry; nil when not known yet), whose dead members' entries are collected.
public struct SharedRegistration: Sendable {
    public var store: any RegisteredEntryStore
    public var replica: String
    public var liveReplicas: @Sendable () -> Set<String>?

    public init(
        store: any RegisteredEntryStore, replica: String, liveReplicas: @escaping @Sendable () -> Set<String>?
    ) {
        self.store = store
        self.replica = replica
        self.liveReplicas = liveReplicas
    }

    /// istiod's annotations on an auto-registered entry: the replica that controls it and when its proxy connected.
    public static let controllerAnnotation = "istio.io/workloadController"
    public static let connectedAtAnnotation = "istio.io/connectedAt"
}

/// A WorkloadEntry as the JSON object the API server (and etcd, as meshd lays it out) stores.
public enum WorkloadEntryJSON {
    public static let apiVersion = "networking.istio.io/v1"

    public static func encode(_ entry: WorkloadEntry) -> Data {
        var metadata: [String: Any] = ["name": entry.meta.name, "namespace": entry.meta.namespace]
        if !entry.meta.labels.isEmpty { metadata["labels"] = entry.meta.labels }
        if !entry.meta.annotations.isEmpty { metadata["annotations"] = entry.meta.annotations }
        var spec: [String: Any] = ["address": entry.spec.address]
        if !entry.spec.ports.isEmpty { spec["ports"] = entry.spec.ports }
        if !entry.spec.labels.isEmpty { spec["labels"] = entry.spec.labels }
        if let account = entry.spec.serviceAccount { spec["serviceAccount"] = account }
        if let network = entry.spec.network { spec["network"] = network }
        if let locality = entry.spec.locality { spec["locality"] = locality }
        if let weight = entry.spec.weight { spec["weight"] = weight }
        let object: [String: Any] = [
            "apiVersion": apiVersion, "kind": "WorkloadEntry", "metadata": metadata, "spec": spec,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
