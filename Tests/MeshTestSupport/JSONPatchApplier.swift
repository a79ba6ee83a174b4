public import Injection

/// Applies an RFC 6902 JSON Patch (add, remove, replace) as the API server applies a mutating webhook's patch:
/// every pointer must resolve, `-` appends to an array, and an index may be at most the array's length for add.
/// Independent of `JSONPatch.diff`, so tests can check that a webhook's patch really produces the injected pod.
public enum JSONPatchApplier {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func apply(_ operations: [JSONValue], to document: JSONValue) throws -> JSONValue {
        var result = document
        for (index, operation) in operations.enumerated() {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw Failure(description: "operation \(index): op and path are required")
            }
            let tokens = try pointer(path)
            switch op {
            case "add", "replace":
                guard let value = operation["value"] else {
                    throw Failure(description: "operation \(index): value is required for \(op)")
                }
                result = try set(result, tokens[...], value: value, adding: op == "add", path: path)
            case "remove":
                result = try remove(result, tokens[...], path: path)
            default:
                throw Failure(description: "operation \(index): unsupported op \(op)")
            }
        }
        return result
    }

    static func pointer(_ path: String) throws -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw Failure(description: "path \(path) does not start with /") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func set(
        _ node: JSONValue, _ tokens: ArraySlice<String>, value: JSONValue, adding: Bool, path: String
    ) throws -> JSONValue {
        guard let token = tokens.first else { return value }
        let rest = tokens.dropFirst()
        switch node {
        case .object(var members):
            if rest.isEmpty {
                if !adding && members[token] == nil { throw Failure(description: "replace \(path): no such member") }
                members[token] = value
            } else {
                guard let child = members[token] else { throw Failure(description: "\(path): \(token) does not exist") }
                members[token] = try set(child, rest, value: value, adding: adding, path: path)
            }
            return .object(members)
        case .array(var items):
            if rest.isEmpty && adding && token == "-" {
                items.append(value)
                return .array(items)
            }
            guard let position = Int(token), position >= 0 else { throw Failure(description: "\(path): bad index \(token)") }
            if rest.isEmpty {
                if adding {
                    guard position <= items.count else { throw Failure(description: "\(path): index out of range") }
                    items.insert(value, at: position)
                } else {
                    guard position < items.count else { throw Failure(description: "\(path): index out of range") }
                    items[position] = value
                }
            } else {
                guard position < items.count else { throw Failure(description: "\(path): index out of range") }
                items[position] = try set(items[position], rest, value: value, adding: adding, path: path)
            }
            return .array(items)
        default:
            throw Failure(description: "\(path): \(token) is inside a scalar")
        }
    }

    static func remove(_ node: JSONValue, _ tokens: ArraySlice<String>, path: String) throws -> JSONValue {
        guard let token = tokens.first else { throw Failure(description: "remove \(path): cannot remove the root") }
        let rest = tokens.dropFirst()
        switch node {
        case .object(var members):
            guard let child = members[token] else { throw Failure(description: "remove \(path): no such member") }
            members[token] = rest.isEmpty ? nil : try remove(child, rest, path: path)
            return .object(members)
        case .array(var items):
            guard let position = Int(token), position >= 0, position < items.count else {
                throw Failure(description: "remove \(path): bad index \(token)")
            }
            if rest.isEmpty { items.remove(at: position) } else { items[position] = try remove(items[position], rest, path: path) }
            return .array(items)
        default:
            throw Failure(description: "remove \(path): \(token) is inside a scalar")
        }
    }
}
