import Crypto
import Foundation
import _CryptoExtras

/// Verifies a compact JWS against a JWKS as jwt_authn does for the checks a user would hit: signature (RS256/384/512,
/// ES256/384), issuer, audiences, `exp` and `nbf`. Returns the payload, or why the token is refused (Envoy answers 401).
enum JWTVerifier {
    struct Token {
        let header: [String: MetadataValue]
        let payload: MetadataValue
        let signingInput: Data
        let signature: Data
    }

    static func decode(_ token: String) -> Token? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = base64URL(parts[0]), let payloadData = base64URL(parts[1]),
            let signature = base64URL(parts[2]), case .object(let header)? = MetadataValue.parse(json: headerData),
            let payload = MetadataValue.parse(json: payloadData), case .object = payload
        else { return nil }
        return Token(
            header: header, payload: payload, signingInput: Data("\(parts[0]).\(parts[1])".utf8), signature: signature)
    }

    static func base64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    /// Envoy's words for a token whose audiences the provider does not accept (answered 403).
    static let audienceNotAllowed = "Audiences in Jwt are not allowed"

    /// Issuer, audience and time checks on a payload (given directly or decoded from a token).
    static func checkClaims(_ payload: MetadataValue, issuer: String, audiences: [String], now: Date) -> String? {
        guard payload.value(at: ["iss"])?.string == issuer else { return "Jwt issuer is not configured" }
        if !audiences.isEmpty {
            let aud: [String]
            switch payload.value(at: ["aud"]) {
            case .string(let one)?: aud = [one]
            case .list(let many)?: aud = many.compactMap(\.string)
            default: aud = []
            }
            guard aud.contains(where: audiences.contains) else { return audienceNotAllowed }
        }
        if case .number(let exp)? = payload.value(at: ["exp"]), exp < now.timeIntervalSince1970 {
            return "Jwt is expired"
        }
        if case .number(let nbf)? = payload.value(at: ["nbf"]), nbf > now.timeIntervalSince1970 {
            return "Jwt not yet valid"
        }
        return nil
    }

    /// Whether `token`'s signature verifies with one key of `jwks` (matched by `kid` when the token names one).
    static func verifySignature(_ token: Token, jwks: String) -> String? {
        guard case .object(let set)? = MetadataValue.parse(json: Data(jwks.utf8)), case .list(let keys)? = set["keys"]
        else { return "Jwks doesn't have key to match kid or alg from Jwt" }
        let alg = token.header["alg"]?.string ?? ""
        let kid = token.header["kid"]?.string
        let candidates = keys.compactMap { key -> [String: MetadataValue]? in
            guard case .object(let members) = key else { return nil }
            if let kid, let keyID = members["kid"]?.string, keyID != kid { return nil }
            return members
        }
        for key in candidates where verify(token, alg: alg, key: key) { return nil }
        return candidates.isEmpty ? "Jwks doesn't have key to match kid or alg from Jwt" : "Jwt verification fails"
    }

    static func verify(_ token: Token, alg: String, key: [String: MetadataValue]) -> Bool {
        let member = { (name: String) in key[name]?.string.flatMap { base64URL(Substring($0)) } }
        switch alg {
        case "RS256", "RS384", "RS512":
            guard key["kty"]?.string == "RSA", let n = member("n"), let e = member("e"),
                let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e)
            else { return false }
            let signature = _RSA.Signing.RSASignature(rawRepresentation: token.signature)
            switch alg {
            case "RS256":
                return publicKey.isValidSignature(
                    signature, for: SHA256.hash(data: token.signingInput), padding: .insecurePKCS1v1_5)
            case "RS384":
                return publicKey.isValidSignature(
                    signature, for: SHA384.hash(data: token.signingInput), padding: .insecurePKCS1v1_5)
            default:
                return publicKey.isValidSignature(
                    signature, for: SHA512.hash(data: token.signingInput), padding: .insecurePKCS1v1_5)
            }
        case "ES256":
            guard key["kty"]?.string == "EC", let x = member("x"), let y = member("y"),
                let publicKey = try? P256.Signing.PublicKey(rawRepresentation: x + y),
                let signature = try? P256.Signing.ECDSASignature(rawRepresentation: token.signature)
            else { return false }
            return publicKey.isValidSignature(signature, for: SHA256.hash(data: token.signingInput))
        case "ES384":
            guard key["kty"]?.string == "EC", let x = member("x"), let y = member("y"),
                let publicKey = try? P384.Signing.PublicKey(rawRepresentation: x + y),
                let signature = try? P384.Signing.ECDSASignature(rawRepresentation: token.signature)
            else { return false }
            return publicKey.isValidSignature(signature, for: SHA384.hash(data: token.signingInput))
        default:
            return false
        }
    }
}
