import Foundation

extension CertificateAuthority {
    /// Mints a bootstrap token for `namespace`/`serviceAccount` in this trust domain, valid for `ttl`.
    /// The format is documented on `BootstrapToken` and in Docs/security.md. The token is a credential:
    /// whoever holds it can obtain certificates for that identity until it expires.
    public func mintToken(namespace: String, serviceAccount: String, ttl: Duration) throws -> String {
        guard ttl > .zero else {
            throw CAError(field: "ttl", reason: "must be positive")
        }
        let identity = SPIFFEIdentity(
            trustDomain: options.trustDomain, namespace: namespace, serviceAccount: serviceAccount)
        try identity.validate()
        return try tokens.mint(identity: identity, now: Date(), ttl: ttl)
    }

    /// The identity a bootstrap token proves: refused when malformed, tampered with, signed by another CA's
    /// token key, for another audience, or expired.
    public func verifyToken(_ token: String) throws -> SPIFFEIdentity {
        try tokens.verify(token, trustDomain: options.trustDomain, now: Date())
    }
}

extension CertificateAuthority {
    /// Mints a bootstrap token with the token key in `stateDirectory` (created there, mode 0600, if missing)
    /// without loading or generating a root: what `meshd token` does, so that it works the same for a
    /// self-signed and a plug-in CA.
    public static func mintToken(
        stateDirectory: String, trustDomain: String = "cluster.local", namespace: String, serviceAccount: String,
        ttl: Duration, maxLifetime: Duration = CAOptions.defaultMaxTokenLifetime
    ) throws -> String {
        guard ttl > .zero else {
            throw CAError(field: "ttl", reason: "must be positive")
        }
        let identity = SPIFFEIdentity(trustDomain: trustDomain, namespace: namespace, serviceAccount: serviceAccount)
        try identity.validate()
        var tokens = BootstrapToken(key: try StateDirectory(path: stateDirectory).loadOrCreateTokenKey())
        tokens.maxLifetime = maxLifetime
        return try tokens.mint(identity: identity, now: Date(), ttl: ttl)
    }
}
