public import Foundation

/// Why a fetched key set was not used. The last good key set for its URI stays in force.
public enum JWKSError: Error, Sendable, Hashable, CustomStringConvertible {
    case tooLarge(limit: Int)
    case httpStatus(Int)
    case notJSON(String)
    case notAKeySet(String)
    case transport(String)
    case timedOut(seconds: Double)

    public var description: String {
        switch self {
        case .tooLarge(let limit): "the response is larger than \(limit) bytes"
        case .httpStatus(let status): "the server answered HTTP \(status)"
        case .notJSON(let reason): "the response is not JSON: \(reason)"
        case .notAKeySet(let reason): "the response is not a JSON Web Key Set: \(reason)"
        case .transport(let reason): "the fetch failed: \(reason)"
        case .timedOut(let seconds): "no answer within \(seconds) s"
        }
    }
}

/// Checks that a response body is a JSON Web Key Set (RFC 7517) that Envoy's jwt_authn can load, before it is
/// inlined: an object with a non-empty `keys` array, each key an object with a `kty` Envoy knows and the members
/// that kind needs. Envoy refuses a listener whose local JWKS does not parse, so a bad document would NACK every
/// proxy's listeners; refusing it here keeps the last good key set instead.
public enum JWKSDocument {
    /// istiod puts no explicit cap on the body; 512 KiB is far above any real issuer's key set (a few KiB) and
    /// bounds what one URI can add to every listener.
    public static let defaultSizeLimit = 512 * 1024

    /// The key set as text, unchanged, when `body` is a valid JWKS within `limit` bytes.
    public static func validate(_ body: Data, limit: Int = defaultSizeLimit) throws(JWKSError) -> String {
        guard body.count <= limit else { throw .tooLarge(limit: limit) }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: body)
        } catch {
            throw .notJSON(Self.reason(error))
        }
        guard let object = parsed as? [String: Any] else { throw .notAKeySet("the top level is not an object") }
        guard let keys = object["keys"] as? [Any] else { throw .notAKeySet("no \"keys\" array") }
        guard !keys.isEmpty else { throw .notAKeySet("\"keys\" is empty") }
        for (index, entry) in keys.enumerated() {
            guard let key = entry as? [String: Any] else { throw .notAKeySet("keys[\(index)] is not an object") }
            guard let kty = key["kty"] as? String else { throw .notAKeySet("keys[\(index)].kty is missing") }
            let required: [String]
            switch kty {
            case "RSA": required = ["n", "e"]
            case "EC": required = ["crv", "x", "y"]
            case "oct": required = ["k"]
            case "OKP": required = ["crv", "x"]
            default: throw .notAKeySet("keys[\(index)].kty \"\(kty)\" is not RSA, EC, oct or OKP")
            }
            for member in required where (key[member] as? String)?.isEmpty != false {
                throw .notAKeySet("keys[\(index)] (kty \(kty)) has no \"\(member)\"")
            }
        }
        guard let text = String(data: body, encoding: .utf8) else { throw .notJSON("not UTF-8") }
        return text
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        return (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
    }
}
