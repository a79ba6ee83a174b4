/// RFC 6902 JSON Patch operations, as a mutating admission webhook returns them (`patchType: JSONPatch`).
public struct JSONPatchOperation: Sendable, Hashable, Encodable {
    public enum Op: String, Sendable, Hashable, Encodable {
        case add, remove, replace
    }

    public var op: Op
    /// An RFC 6901 JSON Pointer (`/metadata/annotations/sidecar.istio.io~1status`).
    public var path: String
    public var value: JSONValue?

    public init(op: Op, path: String, value: JSONValue? = nil) {
        self.op = op
        self.path = path
        self.value = value
    }

    enum CodingKeys: String, CodingKey { case op, path, value }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(op, forKey: .op)
        try container.encode(path, forKey: .path)
        if op != .remove { try container.encode(value ?? .null, forKey: .value) }
    }
}

/// The patch that turns one JSON document into another. Objects are compared member by member; an array that only
/// grew at its end gets `add .../-` operations, an array of the same length is compared element by element, and any
/// other changed array is replaced whole (Kubernetes lists such as `containers` are small, and a replaced list
/// cannot be misapplied by index). Applying the patch to `from` gives `to` exactly.
public enum JSONPatch {
    public static func diff(from: JSONValue, to: JSONValue) -> [JSONPatchOperation] {
        var operations: [JSONPatchOperation] = []
        diff(from, to, path: "", into: &operations)
        return operations
    }

    /// `key` escaped for a JSON Pointer: `~` as `~0`, `/` as `~1` (RFC 6901).
    public static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func diff(_ old: JSONValue, _ new: JSONValue, path: String, into operations: inout [JSONPatchOperation]) {
        if old == new { return }
        switch (old, new) {
        case (.object(let before), .object(let after)):
            for key in before.keys.sorted() where after[key] == nil {
                operations.append(.init(op: .remove, path: path + "/" + escape(key)))
            }
            for key in after.keys.sorted() {
                guard let value = after[key] else { continue }
                let child = path + "/" + escape(key)
                if let previous = before[key] {
                    diff(previous, value, path: child, into: &operations)
                } else {
                    operations.append(.init(op: .add, path: child, value: value))
                }
            }
        case (.array(let before), .array(let after)) where before.count == after.count:
            for index in before.indices {
                diff(before[index], after[index], path: path + "/\(index)", into: &operations)
            }
        case (.array(let before), .array(let after))
        where after.count > before.count && Array(after.prefix(before.count)) == before:
            for value in after.dropFirst(before.count) {
                operations.append(.init(op: .add, path: path + "/-", value: value))
            }
        default:
            operations.append(.init(op: .replace, path: path, value: new))
        }
    }
}
