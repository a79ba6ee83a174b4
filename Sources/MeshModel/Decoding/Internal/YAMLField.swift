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

    /// An integer of protobuf type `type`, written plain or quoted (protobuf JSON accepts both); an error if it is
    /// not an integer or does not fit the type, as istiod's protobuf decoding refuses it (so that nothing later
    /// clamps, wraps or traps on it).
    func int(_ type: ProtoInteger) -> Int? {
        guard let text = string() else { return nil }
        guard let value = Int(text.trimmingSpaces()) else {
            let digits = text.trimmingSpaces().drop { $0 == "-" || $0 == "+" }
            if !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) {
                context.error(path, "\(text) does not fit in \(type.description)", node: node)
            } else {
                context.error(path, "expected an integer, found \"\(text)\"", node: node)
            }
            return nil
        }
        guard type.range.contains(value) else {
            let reason =
                value < 0 && type == .uint32
                ? "must not be negative, found \(value)" : "\(value) does not fit in \(type.description)"
            context.error(path, reason, node: node)
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
        let keys = mapping.keys
        result.reserveCapacity(keys.count)
        for key in keys where result[key] == nil {
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

/// The protobuf integer types of Istio's and Kubernetes' fields, with the values each can hold.
enum ProtoInteger: Sendable, CustomStringConvertible {
    case int32
    case uint32
    case int64

    var range: ClosedRange<Int> {
        switch self {
        case .int32: Int(Int32.min)...Int(Int32.max)
        case .uint32: 0...Int(UInt32.max)
        case .int64: Int.min...Int.max
        }
    }

    var description: String {
        switch self {
        case .int32: "an int32 (\(Int32.min) to \(Int32.max))"
        case .uint32: "a uint32 (0 to \(UInt32.max))"
        case .int64: "an int64"
        }
    }
}
