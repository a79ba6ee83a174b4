import Foundation

/// One object as the API server sent it, reduced to what the registry keeps: its identity, its resourceVersion and
/// the JSON that `ConfigDecoder` reads.
struct KubernetesObject: Sendable, Hashable {
    /// Empty for cluster-scoped kinds such as Namespace.
    var namespace: String
    var name: String
    var resourceVersion: String
    /// The object as JSON (valid YAML), with `apiVersion` and `kind` filled in and server bookkeeping in `metadata`
    /// dropped, so it decodes exactly like the same object in a file.
    var json: String

    /// `namespace/name`, or `name` for cluster-scoped objects; unique within one kind.
    var key: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    /// Metadata fields that reach the decoder; the rest (uid, managedFields, ...) is the server's bookkeeping.
    static let keptMetadata: Set<String> = ["name", "namespace", "labels", "annotations"]

    /// Reads a decoded JSON object. List items of built-in kinds carry no `apiVersion`/`kind`; they are taken from
    /// the watched kind. Throws `KubernetesError.malformed` when the shape is wrong; never traps.
    init(json value: Any, kind: KubernetesKind) throws {
        guard var object = value as? [String: Any] else {
            throw KubernetesError.malformed("\(kind.kind): not an object")
        }
        guard var metadata = object["metadata"] as? [String: Any], let name = metadata["name"] as? String, !name.isEmpty
        else { throw KubernetesError.malformed("\(kind.kind): object without metadata.name") }
        let namespace = metadata["namespace"] as? String ?? ""
        self.name = name
        self.namespace = namespace
        self.resourceVersion = metadata["resourceVersion"] as? String ?? ""
        metadata = metadata.filter { Self.keptMetadata.contains($0.key) }
        object["metadata"] = metadata
        if object["apiVersion"] == nil { object["apiVersion"] = kind.apiVersion }
        if object["kind"] == nil { object["kind"] = kind.kind }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        self.json = String(decoding: data, as: UTF8.self)
    }

    init(namespace: String, name: String, resourceVersion: String, json: String) {
        self.namespace = namespace
        self.name = name
        self.resourceVersion = resourceVersion
        self.json = json
    }
}
