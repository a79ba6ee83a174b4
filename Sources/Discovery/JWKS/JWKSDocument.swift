public import Foundation
import MeshModel

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
        if let problem = JSONWebKeySet.envoyProblem(parsed: parsed) { throw .notAKeySet(Self.describe(problem)) }
        guard let text = String(data: body, encoding: .utf8) else { throw .notJSON("not UTF-8") }
        return text
    }

    static func describe(_ problem: JSONWebKeySet.EnvoyProblem) -> String {
        switch problem {
        case .notJSON: "not JSON"
        case .notAnObject: "the top level is not an object"
        case .noKeysArray: "no \"keys\" array"
        case .emptyKeys: "\"keys\" is empty"
        case .keyNotAnObject(let index): "keys[\(index)] is not an object"
        case .missingKeyType(let index): "keys[\(index)].kty is missing"
        case .unknownKeyType(let index, let type): "keys[\(index)].kty \"\(type)\" is not RSA, EC, oct or OKP"
        case .missingMember(let index, let type, let member): "keys[\(index)] (kty \(type)) has no \"\(member)\""
        }
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        return (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
    }
}
