import Crypto
import Foundation

/// The bootstrap token format: a compact JWS (RFC 7515) signed with ES256 by the CA's token key.
///
/// `base64url(header) "." base64url(claims) "." base64url(signature)`, where the header is
/// `{"alg":"ES256","typ":"JWT","kid":<key id>}`, the claims are `iss` ("meshd"), `aud` ("istio-ca"),
/// `sub` (the SPIFFE URI), `ns`, `sa`, `iat` and `exp` (seconds since 1970), and the signature is the raw
/// 64-byte `r || s` over the ASCII of the first two parts. The key id is the first 8 bytes of the SHA-256
/// of the token public key (hex), so a token from another meshd is refused with a clear message.
struct BootstrapToken: Sendable {
    static let audience = "istio-ca"
    static let issuer = "meshd"

    struct Header: Codable {
        var alg: String
        var typ: String?
        var kid: String?
    }

    struct Claims: Codable {
        var iss: String
        var aud: String
        var sub: String
        var ns: String
        var sa: String
        var iat: Int64
        var exp: Int64
    }

    let key: P256.Signing.PrivateKey
    /// The longest lifetime (`exp - iat`) accepted or minted.
    var maxLifetime: Duration = CAOptions.defaultMaxTokenLifetime
    /// How far in the future `iat` may lie, for clocks that run a little apart.
    var clockSkew: Duration = .seconds(5 * 60)

    /// Identifies the signing key without revealing anything about it beyond its public half.
    var keyID: String {
        SHA256.hash(data: key.publicKey.derRepresentation).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    func mint(identity: SPIFFEIdentity, now: Date, ttl: Duration) throws -> String {
        guard ttl <= maxLifetime else {
            throw CAError(
                field: "ttl",
                reason:
                    "\(Self.describe(ttl)) exceeds the maximum token lifetime of \(Self.describe(maxLifetime)) (meshd serve --max-token-ttl)"
            )
        }
        let issuedAt = Int64(now.timeIntervalSince1970)
        let claims = Claims(
            iss: Self.issuer, aud: Self.audience, sub: identity.uri, ns: identity.namespace,
            sa: identity.serviceAccount, iat: issuedAt, exp: issuedAt + max(1, Int64(ttl.timeInterval.rounded(.up))))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header = try encoder.encode(Header(alg: "ES256", typ: "JWT", kid: keyID))
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(try encoder.encode(claims))
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }

    /// The identity a token asserts, once its signature, audience, issuer and expiry are checked. Every
    /// refusal is a `CAError` on the field `token`; the token itself is never echoed.
    func verify(_ token: String, trustDomain: String, now: Date) throws -> SPIFFEIdentity {
        func refuse(_ reason: String) -> CAError { CAError(field: "token", reason: reason) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 8192 else {
            throw refuse("is not a compact JWS (three dot-separated parts)")
        }
        guard let headerBytes = Base64URL.decode(parts[0]), let claimBytes = Base64URL.decode(parts[1]),
            let signatureBytes = Base64URL.decode(parts[2])
        else { throw refuse("is not base64url encoded") }
        guard let header = try? JSONDecoder().decode(Header.self, from: headerBytes) else {
            throw refuse("has a malformed header")
        }
        guard header.alg == "ES256" else { throw refuse("uses algorithm '\(header.alg)'; only ES256 is accepted") }
        if let kid = header.kid, kid != keyID { throw refuse("was signed by another CA (key id \(kid))") }
        guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureBytes),
            key.publicKey.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8))
        else { throw refuse("has an invalid signature (tampered, or signed by another CA)") }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: claimBytes) else {
            throw refuse("has malformed claims")
        }
        guard claims.aud == Self.audience else {
            throw refuse("is for audience '\(claims.aud)', not '\(Self.audience)'")
        }
        guard claims.iss == Self.issuer else { throw refuse("was issued by '\(claims.iss)', not '\(Self.issuer)'") }
        let nowSeconds = Int64(now.timeIntervalSince1970)
        guard nowSeconds < claims.exp else {
            throw refuse("expired at \(Date(timeIntervalSince1970: TimeInterval(claims.exp)))")
        }
        let (lifetime, overflow) = claims.exp.subtractingReportingOverflow(claims.iat)
        guard !overflow, lifetime > 0, lifetime <= Int64(maxLifetime.components.seconds) else {
            throw refuse(
                "lives longer than the maximum token lifetime of \(Self.describe(maxLifetime)) (meshd serve --max-token-ttl)"
            )
        }
        guard claims.iat <= nowSeconds + Int64(clockSkew.components.seconds) else {
            throw refuse("was issued in the future (iat \(Date(timeIntervalSince1970: TimeInterval(claims.iat))))")
        }
        let identity = SPIFFEIdentity(trustDomain: trustDomain, namespace: claims.ns, serviceAccount: claims.sa)
        try identity.validate()
        guard claims.sub == identity.uri else { throw refuse("subject '\(claims.sub)' is not \(identity.uri)") }
        return identity
    }
}

extension BootstrapToken {
    /// `90s`, `30m`, `24h` or `7d` style, for messages.
    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

/// Base64url without padding (RFC 4648 section 5), as JWS uses it.
enum Base64URL {
    static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
