import Foundation

/// JSON Web Key Sets (RFC 7517), checked the two ways meshd needs: as istiod's validation accepts an inline `jwks`,
/// and as Envoy's jwt_authn loads a `local_jwks` (a set it refuses makes Envoy refuse the whole listener).
public enum JSONWebKeySet {
    /// The members each key type needs.
    static let requiredMembers: [String: [String]] = [
        "RSA": ["n", "e"], "EC": ["crv", "x", "y"], "OKP": ["crv", "x"], "oct": ["k"],
    ]

    /// Why istiod's parser (lestrrat-go/jwx `jwk.Parse`) would refuse `text`, or nil: a set `{"keys": [...]}` or one
    /// key, each key an object with a known `kty` and that type's required members.
    public static func problem(_ text: String) -> String? {
        guard let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return "not valid JSON" }
        guard let root = object as? [String: Any] else { return "expected a JSON object" }
        if let keys = root["keys"] {
            guard let list = keys as? [Any] else { return "\"keys\" must be a list" }
            for (index, key) in list.enumerated() {
                guard let key = key as? [String: Any] else { return "keys[\(index)] must be an object" }
                if let problem = keyProblem(key) { return "keys[\(index)]: \(problem)" }
            }
            return nil
        }
        return keyProblem(root)
    }

    /// Why Envoy's jwt_authn would refuse a key set as a local JWKS.
    public enum EnvoyProblem: Sendable, Hashable {
        case notJSON
        case notAnObject
        case noKeysArray
        case emptyKeys
        case keyNotAnObject(index: Int)
        case missingKeyType(index: Int)
        case unknownKeyType(index: Int, type: String)
        case missingMember(index: Int, type: String, member: String)
    }

    /// Why Envoy's jwt_authn would refuse `text` as a local JWKS, or nil: a JSON object with a non-empty `keys`
    /// list, each key with a known `kty` and that type's members, none of them empty.
    public static func envoyProblem(_ text: String) -> EnvoyProblem? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return .notJSON }
        return envoyProblem(parsed: object)
    }

    /// `envoyProblem(_:)` of an already parsed JSON value.
    public static func envoyProblem(parsed object: Any) -> EnvoyProblem? {
        guard let root = object as? [String: Any] else { return .notAnObject }
        guard let keys = root["keys"] as? [Any] else { return .noKeysArray }
        guard !keys.isEmpty else { return .emptyKeys }
        for (index, entry) in keys.enumerated() {
            guard let key = entry as? [String: Any] else { return .keyNotAnObject(index: index) }
            guard let type = key["kty"] as? String else { return .missingKeyType(index: index) }
            guard let required = requiredMembers[type] else { return .unknownKeyType(index: index, type: type) }
            if let member = required.first(where: { (key[$0] as? String)?.isEmpty ?? true }) {
                return .missingMember(index: index, type: type, member: member)
            }
        }
        return nil
    }

    /// Why one key is unusable to istiod's parser.
    private static func keyProblem(_ key: [String: Any]) -> String? {
        guard let type = key["kty"] as? String else { return "missing \"kty\"" }
        guard let required = requiredMembers[type] else { return "unsupported key type \"\(type)\"" }
        for member in required where !(key[member] is String) {
            return "\(type) key is missing \"\(member)\""
        }
        return nil
    }
}
