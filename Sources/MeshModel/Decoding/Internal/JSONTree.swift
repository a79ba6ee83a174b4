import Yams

/// A JSON value as an EnvoyFilter patch holds it: object keys keep their order. Built from YAML the way Kubernetes
/// and istiod turn YAML into JSON (plain `true`/`false` are booleans, plain numbers numbers, `null`/`~`/empty null,
/// everything quoted a string), so the protobuf JSON decoding that follows sees what istiod's sees.
indirect enum JSONTree: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number as written (protobuf JSON decoding parses it for the field's type).
    case number(String)
    case string(String)
    case array([JSONTree])
    case object([Member])

    struct Member: Sendable, Hashable {
        var key: String
        var value: JSONTree
    }

    /// The YAML `node` as JSON; nil (with an error at `path`) for what JSON cannot hold: a non-scalar key.
    static func from(_ node: Node, path: String, context: DecodeContext) -> JSONTree? {
        switch node {
        case .scalar(let scalar):
            return scalar.style == .plain || scalar.style == .any ? plain(scalar.string) : .string(scalar.string)
        case .sequence(let sequence):
            var items: [JSONTree] = []
            for (index, item) in sequence.enumerated() {
                guard let value = from(item, path: path.appendingIndex(index), context: context) else { return nil }
                items.append(value)
            }
            return .array(items)
        case .mapping(let mapping):
            var members: [Member] = []
            for pair in mapping {
                guard case .scalar(let key) = pair.key else {
                    context.error(path, "a mapping key must be a string, found \(pair.key.shapeName)", node: pair.key)
                    return nil
                }
                guard let value = from(pair.value, path: path.appendingField(key.string), context: context) else {
                    return nil
                }
                members.append(Member(key: key.string, value: value))
            }
            return .object(members)
        case .alias:
            context.error(path, "YAML aliases are not supported in patch values", node: node)
            return nil
        }
    }

    private static func plain(_ text: String) -> JSONTree {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: return isNumber(text) ? .number(text) : .string(text)
        }
    }

    /// A JSON number: `-?digits(.digits)?([eE][+-]?digits)?` (YAML's own extras, such as `0x1F` or `.inf`, are
    /// strings here, as protobuf JSON would not read them as numbers either).
    private static func isNumber(_ text: String) -> Bool {
        var characters = Substring(text)
        if characters.first == "-" { characters.removeFirst() }
        func digits() -> Bool {
            let count = characters.prefix { $0.isASCIIDigit }.count
            characters.removeFirst(count)
            return count > 0
        }
        guard digits() else { return false }
        if characters.first == "." {
            characters.removeFirst()
            guard digits() else { return false }
        }
        if characters.first == "e" || characters.first == "E" {
            characters.removeFirst()
            if characters.first == "+" || characters.first == "-" { characters.removeFirst() }
            guard digits() else { return false }
        }
        return characters.isEmpty
    }

    subscript(key: String) -> JSONTree? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The object without `key`.
    func removing(_ key: String) -> JSONTree {
        guard case .object(let members) = self else { return self }
        return .object(members.filter { $0.key != key })
    }

    /// The path (below `base`) of the first member named `key`, depth first; nil when there is none.
    func path(ofKey key: String, base: String) -> String? {
        switch self {
        case .object(let members):
            for member in members {
                let path = base.appendingField(member.key)
                if member.key == key { return path }
                if let found = member.value.path(ofKey: key, base: path) { return found }
            }
            return nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = item.path(ofKey: key, base: base.appendingIndex(index)) { return found }
            }
            return nil
        default: return nil
        }
    }

    /// Compact JSON text.
    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): Self.writeString(text, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                Self.writeString(member.key, into: &out)
                out += ":"
                member.value.write(into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
