import Yams

/// A YAML node together with its field path, read through typed accessors that report mismatches to the context.
struct YAMLField {
    let node: Node
    let path: String
    let context: DecodeContext

    init(node: Node, path: String, context: DecodeContext) {
        self.node = node
        self.path = path
        self.context = context
        context.record(path, node)
    }

    /// `null`, `~` or an empty plain value: treated as if the field were absent.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The scalar text; an error if the node is a mapping or a sequence.
    func string() -> String? {
        guard case .scalar(let scalar) = node else {
            context.error(path, "expected a string, found \(node.shapeName)", node: node)
            return nil
        }
        return scalar.string
    }

    /// An integer, written plain or quoted (protobuf JSON accepts both); an error otherwise.
    func int() -> Int? {
        guard let text = string() else { return nil }
        guard let value = Int(text.trimmingSpaces()) else {
            context.error(path, "expected an integer, found \"\(text)\"", node: node)
            return nil
        }
        return value
    }

    /// `true`/`false`; an error otherwise.
    func bool() -> Bool? {
        guard let text = string() else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            context.error(path, "expected true or false, found \"\(text)\"", node: node)
            return nil
        }
    }

    func mapping() -> YAMLMapping? {
        guard case .mapping(let mapping) = node else {
            context.error(path, "expected a mapping, found \(node.shapeName)", node: node)
            return nil
        }
        return YAMLMapping(field: self, mapping: mapping)
    }

    /// The items of a sequence, each with its indexed path.
    func sequence() -> [YAMLField]? {
        guard case .sequence(let sequence) = node else {
            context.error(path, "expected a list, found \(node.shapeName)", node: node)
            return nil
        }
        return sequence.enumerated().map { YAMLField(node: $1, path: path.appendingIndex($0), context: context) }
    }

    /// A list of strings; items of the wrong shape are reported and left out.
    func stringList() -> [String] {
        (sequence() ?? []).compactMap { $0.isNull ? nil : $0.string() }
    }

    /// A map of strings to strings (labels, selectors); values of the wrong shape are reported and left out.
    func stringMap() -> [String: String] {
        guard let mapping = mapping() else { return [:] }
        var result: [String: String] = [:]
        for key in mapping.keys {
            if let value = mapping[key]?.string() { result[key] = value }
        }
        return result
    }
}

extension Node {
    /// How a node is described in messages.
    var shapeName: String {
        switch self {
        case .scalar(let scalar): "the value \"\(scalar.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
