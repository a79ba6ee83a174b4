import Crypto
import Foundation
import _CryptoExtras

/// A JWT issuer made for one test: a signing key of its own (ES256 on P-256, or RS256 on RSA 2048), the JSON Web
/// Key Set that publishes its public half, and tokens minted with any claims.
///
/// Nothing here is a fixture: every run makes new keys, so a token only verifies if the proxy really holds this
/// run's key set. Thread-safe (immutable).
struct JWTIssuer: Sendable {
    enum Algorithm: String, Sendable {
        case es256 = "ES256"
        case rs256 = "RS256"
    }

    private enum SigningKey: Sendable {
        case p256(P256.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    /// The `iss` claim, and what RequestAuthentication's `jwtRules[].issuer` names.
    let issuer: String
    /// The `kid` in the key set and in every token's header.
    let keyID: String
    let algorithm: Algorithm
    private let key: SigningKey

    init(issuer: String, keyID: String, algorithm: Algorithm = .es256) throws {
        self.issuer = issuer
        self.keyID = keyID
        self.algorithm = algorithm
        switch algorithm {
        case .es256: key = .p256(P256.Signing.PrivateKey())
        case .rs256: key = .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        }
    }

    /// The same issuer name, key id and algorithm with a different key: what a forger who knows everything
    /// but the private key would sign with.
    func impostor() throws -> JWTIssuer {
        try JWTIssuer(issuer: issuer, keyID: keyID, algorithm: algorithm)
    }

    /// The public key as one JWK (RFC 7517), with `kid`, `alg` and `use`.
    func publicJWK() throws -> [String: String] {
        var jwk = ["kid": keyID, "alg": algorithm.rawValue, "use": "sig"]
        switch key {
        case .p256(let privateKey):
            // X9.63: 0x04 || x (32 bytes) || y (32 bytes).
            let point = privateKey.publicKey.x963Representation
            jwk["kty"] = "EC"
            jwk["crv"] = "P-256"
            jwk["x"] = Base64URL.encode(point.dropFirst().prefix(32))
            jwk["y"] = Base64URL.encode(point.dropFirst(33))
        case .rsa(let privateKey):
            let primitives = try privateKey.publicKey.getKeyPrimitives()
            jwk["kty"] = "RSA"
            jwk["n"] = Base64URL.encode(primitives.modulus.drop { $0 == 0 })
            jwk["e"] = Base64URL.encode(primitives.publicExponent.drop { $0 == 0 })
        }
        return jwk
    }

    /// A JSON Web Key Set holding the public keys of `issuers`, as a JSON string.
    static func jwks(_ issuers: [JWTIssuer]) throws -> String {
        let keys = try issuers.map { try $0.publicJWK() }
        let data = try JSONSerialization.data(
            withJSONObject: ["keys": keys], options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// A signed compact JWT. `subject`, `audiences` and `lifetime` fill `sub`, `aud`, `iat` and `exp`
    /// (a negative lifetime makes a token that expired that long ago); `claims` are merged over them.
    func token(
        subject: String, audiences: [String] = [], lifetime: TimeInterval = 3600, claims: [String: Any] = [:]
    ) throws -> String {
        let now = Date().timeIntervalSince1970.rounded(.down)
        var payload: [String: Any] = ["iss": issuer, "sub": subject, "iat": Int(now), "exp": Int(now + lifetime)]
        if lifetime < 0 { payload["iat"] = Int(now + lifetime - 3600) }
        if audiences.count == 1, let audience = audiences.first {
            payload["aud"] = audience
        } else if !audiences.isEmpty {
            payload["aud"] = audiences
        }
        for (name, value) in claims { payload[name] = value }
        let header = ["alg": algorithm.rawValue, "typ": "JWT", "kid": keyID]
        let signingInput = try Self.segment(header) + "." + Self.segment(payload)
        return signingInput + "." + Base64URL.encode(try sign(Data(signingInput.utf8)))
    }

    /// The request principal Istio derives from a token of this issuer: `<iss>/<sub>`.
    func principal(subject: String) -> String { "\(issuer)/\(subject)" }

    private func sign(_ data: Data) throws -> Data {
        switch key {
        case .p256(let privateKey):
            // JWS wants r || s, 32 bytes each: CryptoKit's raw representation.
            return try privateKey.signature(for: data).rawRepresentation
        case .rsa(let privateKey):
            return try privateKey.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation
        }
    }

    private static func segment(_ object: [String: Any]) throws -> String {
        Base64URL.encode(
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}

/// Base64url without padding (RFC 7515 §2).
enum Base64URL {
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
