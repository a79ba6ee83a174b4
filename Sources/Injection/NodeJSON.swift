public import Yams

/// Conversion between the YAML nodes the injector edits and the JSON of the Kubernetes API (an AdmissionReview's
/// object, the patch it returns). Scalars keep their type both ways: a JSON string becomes a YAML string even when it
/// reads `"true"` or `"8080"`, and a YAML scalar becomes the JSON type its tag resolves to.
public enum NodeJSON {
    /// Why a YAML node has no JSON form.
    public struct Unrepresentable: Error, CustomStringConvertible {
        public var description: String
    }

    public static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null: return .scalar(.init("null", .init(.null), .plain))
        case .bool(let flag): return .scalar(.init(flag ? "true" : "false", .init(.bool), .plain))
        case .int(let number): return .scalar(.init(String(number), .init(.int), .plain))
        case .double(let number): return .scalar(.init(String(number), .init(.float), .plain))
        case .string(let text): return .scalar(.init(text, .init(.str), .doubleQuoted))
        case .array(let items): return .sequence(.init(items.map(node)))
        case .object(let members):
            return .mapping(
                .init(members.sorted { $0.key < $1.key }.map { key, value in (Node.scalar(.init(key)), node(value)) }))
        }
    }

    public static func json(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch Resolver.default.resolveTag(of: node) {
            case .null: return .null
            case .bool:
                guard let flag = node.bool else { throw Unrepresentable(description: "\"\(scalar.string)\" is not a boolean") }
                return .bool(flag)
            case .int:
                guard let number = node.int else { throw Unrepresentable(description: "\"\(scalar.string)\" is not an integer") }
                return .int(Int64(number))
            case .float:
                guard let number = node.float, number.isFinite else {
                    throw Unrepresentable(description: "\"\(scalar.string)\" is not a finite number")
                }
                return .double(number)
            default:
                return .string(scalar.string)
            }
        case .sequence(let sequence):
            return .array(try sequence.map(json))
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw Unrepresentable(description: "a mapping key is not a string") }
                members[name] = try json(value)
            }
            return .object(members)
        case .alias:
            throw Unrepresentable(description: "YAML aliases have no JSON form")
        }
    }
}
