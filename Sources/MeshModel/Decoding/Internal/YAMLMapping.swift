import Yams

/// A YAML mapping read field by field. Every key the decoder does not ask for can be reported as unsupported.
///
/// Lookups go through an index built once, so reading every key of a mapping (labels, annotations) is linear in
/// its size, not quadratic.
struct YAMLMapping {
    let field: YAMLField
    private let entries: [(key: String, keyNode: Node, value: Node)]
    /// Position of the first entry with each key.
    private let positions: [String: Int]

    init(field: YAMLField, mapping: Node.Mapping) {
        self.field = field
        self.entries = mapping.compactMap { pair in
            guard case .scalar(let key) = pair.key else { return nil }
            return (key.string, pair.key, pair.value)
        }
        var positions: [String: Int] = [:]
        positions.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() where positions[entry.key] == nil { positions[entry.key] = index }
        self.positions = positions
    }

    var path: String { field.path }
    var context: DecodeContext { field.context }

    /// Keys in document order.
    var keys: [String] { entries.map(\.key) }

    func contains(_ key: String) -> Bool { positions[key] != nil }

    /// The field named `key`, or nil when it is absent or null.
    subscript(key: String) -> YAMLField? {
        guard let position = positions[key] else { return nil }
        let entry = entries[position]
        // The key's line is where a reader looks, also when the value is a nested block on the next line.
        context.record(path.appendingField(key), entry.keyNode)
        let node = entry.value
        let field = YAMLField(node: node, path: path.appendingField(key), context: context)
        return field.isNull ? nil : field
    }

    func string(_ key: String) -> String? { self[key]?.string() }
    func int(_ key: String, _ type: ProtoInteger) -> Int? { self[key]?.int(type) }
    func bool(_ key: String) -> Bool? { self[key]?.bool() }
    func mapping(_ key: String) -> YAMLMapping? { self[key]?.mapping() }
    func sequence(_ key: String) -> [YAMLField] { self[key]?.sequence() ?? [] }
    func stringList(_ key: String) -> [String] { self[key]?.stringList() ?? [] }
    func stringMap(_ key: String) -> [String: String] { self[key]?.stringMap() ?? [:] }

    /// Warns about every key that is neither `handled` nor silently `ignored`, so no field is dropped unnoticed.
    func warnUnsupported(handled: Set<String>, ignored: Set<String> = []) {
        for entry in entries where !handled.contains(entry.key) && !ignored.contains(entry.key) {
            context.warning(path.appendingField(entry.key), "not supported by meshd yet; ignored", node: entry.keyNode)
        }
    }
}
