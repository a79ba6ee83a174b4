public import Foundation

/// A dynamic-metadata value as Envoy holds it (a `google.protobuf.Value`): what jwt_authn writes for a verified
/// JWT payload, and what RBAC writes for its shadow results. JSON numbers are doubles, as in a protobuf Struct.
public indirect enum MetadataValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([MetadataValue])
    case object([String: MetadataValue])

    /// The value at `path` below this one (object keys only), or nil.
    public func value(at path: [String]) -> MetadataValue? {
        var current = self
        for key in path {
            guard case .object(let members) = current, let next = members[key] else { return nil }
            current = next
        }
        return current
    }

    /// A JSON document as metadata; nil when it is not JSON.
    public static func parse(json data: Data) -> MetadataValue? {
        try? JSONDecoder().decode(MetadataValue.self, from: data)
    }

    /// The value as a string, when it is one.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([MetadataValue].self) {
            self = .list(value)
        } else {
            self = .object(try container.decode([String: MetadataValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
