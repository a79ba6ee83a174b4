public import Discovery
public import EtcdClient
import Foundation
public import MeshModel
public import Registry

/// Auto-registered WorkloadEntries in etcd, under the config layout
/// (`<prefix>/networking.istio.io/v1/WorkloadEntry/<namespace>/<name>`), where every replica's etcd source reads
/// them back. A delete reads the key and removes it in a transaction on its mod revision, only while it still names
/// the deleting replica as its controller.
public struct EtcdRegisteredEntryStore: RegisteredEntryStore {
    let connection: EtcdConnection
    let layout: EtcdKeyLayout

    public init(connection: EtcdConnection, layout: EtcdKeyLayout) {
        self.connection = connection
        self.layout = layout
    }

    public var location: String { "etcd \(layout.prefix)" }

    func key(_ key: ResourceKey) -> String {
        layout.key(
            apiVersion: WorkloadEntryJSON.apiVersion, kind: "WorkloadEntry", namespace: key.namespace, name: key.name)
    }

    public func put(_ entry: WorkloadEntry) async throws {
        let key = key(MeshResource.workloadEntry(entry).key)
        let value = Array(WorkloadEntryJSON.encode(entry))
        try await EtcdClient.withAnySession(connection) { session in
            _ = try await session.transaction(EtcdTransaction(success: [.put(key, value: value)]))
        }
    }

    public func delete(_ entry: ResourceKey, ifControlledBy controller: String) async throws {
        let key = key(entry)
        try await EtcdClient.withAnySession(connection) { session in
            guard let stored = try await session.get(key),
                Self.controller(of: stored.value) == controller
            else { return }
            _ = try await session.transaction(
                EtcdTransaction(comparisons: [.modRevision(key, equals: stored.modRevision)], success: [.delete(key)]))
        }
    }

    /// The `istio.io/workloadController` of a stored entry; nil when it does not decode.
    static func controller(of value: [UInt8]) -> String? {
        guard case .workloadEntry(let entry)? = ConfigDecoder.decode(bytes: value, file: "entry").objects.first?.resource
        else { return nil }
        return entry.meta.annotations[SharedRegistration.controllerAnnotation]
    }
}

/// Auto-registered WorkloadEntries in the Kubernetes API, as istiod writes them
/// (`/apis/networking.istio.io/v1/namespaces/<ns>/workloadentries`): created, or replaced on the resourceVersion
/// read; deleted with a `resourceVersion` precondition, only while they still name the deleting replica as their
/// controller. Needs `create`, `update` and `delete` on `workloadentries` (the shipped ClusterRole grants them).
public struct KubernetesRegisteredEntryStore: RegisteredEntryStore {
    let connection: KubernetesConnection

    public init(connection: KubernetesConnection) {
        self.connection = connection
    }

    public var location: String { "the Kubernetes API (\(connection.server))" }

    func collection(_ namespace: String) -> String {
        "/apis/\(WorkloadEntryJSON.apiVersion)/namespaces/\(namespace)/workloadentries"
    }

    public func put(_ entry: WorkloadEntry) async throws {
        let collection = collection(entry.meta.namespace)
        let path = "\(collection)/\(entry.meta.name)"
        let body = WorkloadEntryJSON.encode(entry)
        try await KubernetesClient.with(connection) { client in
            for _ in 0..<3 {
                let created = try await client.send(.post, collection, json: body)
                if created.status != 409 {
                    try KubernetesClient.check(status: created.status, body: created.body, path: collection)
                    return
                }
                // It exists: replace it, naming the version read so a concurrent write is not lost silently.
                let read = try await client.send(.get, path)
                if read.status == 404 { continue }
                try KubernetesClient.check(status: read.status, body: read.body, path: path)
                guard let version = Self.resourceVersion(read.body),
                    var object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
                else { return }
                var metadata = object["metadata"] as? [String: Any] ?? [:]
                metadata["resourceVersion"] = version
                object["metadata"] = metadata
                let replaced = try await client.send(
                    .put, path, json: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
                if replaced.status == 409 { continue }
                try KubernetesClient.check(status: replaced.status, body: replaced.body, path: path)
                return
            }
            throw MeshdSetupError("auto-registration: \(path) kept changing while it was written")
        }
    }

    public func delete(_ entry: ResourceKey, ifControlledBy controller: String) async throws {
        let path = "\(collection(entry.namespace))/\(entry.name)"
        try await KubernetesClient.with(connection) { client in
            let read = try await client.send(.get, path)
            if read.status == 404 { return }
            try KubernetesClient.check(status: read.status, body: read.body, path: path)
            guard let object = (try? JSONSerialization.jsonObject(with: read.body)) as? [String: Any],
                let metadata = object["metadata"] as? [String: Any],
                (metadata["annotations"] as? [String: Any])?[SharedRegistration.controllerAnnotation] as? String
                    == controller,
                let version = metadata["resourceVersion"] as? String
            else { return }
            let options: [String: Any] = [
                "apiVersion": "v1", "kind": "DeleteOptions", "preconditions": ["resourceVersion": version],
            ]
            let answer = try await client.send(
                .delete, path, json: try JSONSerialization.data(withJSONObject: options, options: [.sortedKeys]))
            // 409: changed since it was read (taken over, most likely); 404: already gone.
            if answer.status == 409 || answer.status == 404 { return }
            try KubernetesClient.check(status: answer.status, body: answer.body, path: path)
        }
    }

    static func resourceVersion(_ body: Data) -> String? {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        return (object?["metadata"] as? [String: Any])?["resourceVersion"] as? String
    }
}
