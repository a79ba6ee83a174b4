import MeshModel

/// One file of the `POST /debug/diff` body: `[{"file": "...", "content": "..."}]`.
struct DiffInputFile: Decodable, Sendable {
    /// The name errors are reported against (the path the user gave the CLI).
    var file: String
    /// The file's YAML, possibly several documents.
    var content: String
}

/// The answer of `POST /debug/diff`: what the given YAML would change for every connected proxy. Nothing is
/// applied; `applied` is always false and says so to anyone reading the raw JSON.
struct DiffJSON: Encodable {
    /// One decoded object and what it would do to the configuration in force.
    struct Object: Encodable {
        var key: String
        /// added, updated or unchanged.
        var action: String
        var source: String
    }

    var applied = false
    /// The snapshot the diff was computed against.
    var snapshotVersion: String
    /// The snapshot the input would produce; nil when the input has errors.
    var newSnapshotVersion: String?
    var errors: [ConfigStatusJSON.Diagnostic]
    var warnings: [ConfigStatusJSON.Diagnostic]
    var objects: [Object]
    var proxies: [ProxyDiffJSON]
}

/// What one connected proxy would receive differently. Secrets (SDS) are never included.
struct ProxyDiffJSON: Encodable {
    /// The node id.
    var proxy: String
    /// `pod.namespace`, as `meshd proxy-status` names it.
    var name: String
    var added: Int
    var removed: Int
    var changed: Int
    /// Added, removed and changed resources, ordered by type (push order) and name.
    var resources: [ResourceDiffJSON]
    /// How the proxy's authorization would change, read from its listeners' RBAC and jwt_authn filters:
    /// `+ virtualInbound: DENY ns[shop]-policy[deny-admin]-rule[0]` (nil when nothing changes).
    var authorization: [String]?
}

/// One resource that would be added, removed or changed on a proxy.
struct ResourceDiffJSON: Encodable {
    /// cds, eds, lds or rds.
    var type: String
    var name: String
    /// added, removed or changed.
    var action: String
    /// Content hashes, as `/debug/config_dump` shows them.
    var oldVersion: String?
    var newVersion: String?
    /// For changed resources (unless `?summary=true`): a unified diff of the pretty Envoy JSON.
    var diff: [String]?
    /// True when `diff` was cut short or skipped because the resource is too large.
    var diffTruncated: Bool?
    /// The objects the resource is generated from, as the generator names them (`Kind/ns/name (file:line ...)`):
    /// in the proposed configuration, or for a removed resource in the one in force.
    var sources: [String]?
}

extension ConfigStatusJSON.Diagnostic {
    /// The admin JSON form of one decoding or validation problem; `message` is the CLI's
    /// `file:line: Kind/ns/name: field.path: reason` line.
    init(_ diagnostic: ConfigDiagnostic) {
        self.init(
            message: diagnostic.description, file: diagnostic.file, document: diagnostic.document,
            line: diagnostic.line,
            object: diagnostic.object?.description, field: diagnostic.fieldPath, reason: diagnostic.reason)
    }
}
