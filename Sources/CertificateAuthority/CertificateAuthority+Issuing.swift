import Foundation
import SwiftASN1
public import X509

extension CertificateAuthority {
    /// Generates a key (of `options.keyAlgorithm`) and a workload certificate for `identity`, valid for `ttl`
    /// (default `workloadCertTTL`, capped at `maxWorkloadCertTTL`). For SDS `default` secrets.
    public func issueWorkloadCertificate(for identity: SPIFFEIdentity, ttl: Duration? = nil) throws -> IssuedCertificate
    {
        try checkTrustDomain(identity)
        let key = try GeneratedKey(options.keyAlgorithm)
        let authority = currentAuthority
        let validity = authority.leafValidity(now: Date(), ttl: effectiveTTL(ttl), skew: options.clockSkewAllowance)
        let leaf = try CertificateTemplates.workloadLeaf(
            publicKey: key.certificateKey.publicKey, identity: identity, validity: validity, issuer: authority)
        return try finish(leaf, key: key, authority: authority)
    }

    /// Signs a PKCS#10 CSR for `identity`, the caller's proven identity. Refuses a malformed CSR, one whose
    /// signature does not verify, one with a weak key, and one whose SANs are not exactly `identity`'s URI.
    /// Returns the PEM chain, leaf first.
    public func sign(csrPEM: String, for identity: SPIFFEIdentity, ttl: Duration?) throws -> [String] {
        state.withLock { $0.csrCount += 1 }
        try checkTrustDomain(identity)
        let csr = try CSRInspector.parse(csrPEM)
        try CSRInspector.checkIdentity(csr, expected: identity)
        let authority = currentAuthority
        let validity = authority.leafValidity(now: Date(), ttl: effectiveTTL(ttl), skew: options.clockSkewAllowance)
        let leaf = try CertificateTemplates.workloadLeaf(
            publicKey: csr.publicKey, identity: identity, validity: validity, issuer: authority)
        state.withLock { $0.issuedCount += 1 }
        return try ([leaf] + authority.chainAfterLeaf).map(PEM.encode)
    }

    /// A TLS serving certificate for the xDS port 15012, with DNS SANs (`options.servingDNSNames` by default)
    /// and server auth, valid for the default workload TTL. The caller re-issues it at half its lifetime.
    public func issueServingCertificate(dnsNames: [String]? = nil) throws -> IssuedCertificate {
        let names = dnsNames ?? options.servingDNSNames
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
            throw CAError(field: "dnsNames", reason: "needs at least one name, without blanks")
        }
        let key = try GeneratedKey(options.keyAlgorithm)
        let authority = currentAuthority
        let validity = authority.leafValidity(now: Date(), ttl: effectiveTTL(nil), skew: options.clockSkewAllowance)
        let leaf = try CertificateTemplates.servingLeaf(
            publicKey: key.certificateKey.publicKey, dnsNames: names, validity: validity, issuer: authority)
        return try finish(leaf, key: key, authority: authority)
    }

    /// Verifies a client's TLS chain (leaf first; intermediates optional, the CA's own are added): it must lead
    /// to a trusted root, every certificate must be valid now, and the leaf must be a non-CA certificate with
    /// exactly one SPIFFE URI SAN in this trust domain. Returns that identity.
    public func verifyClientChain(_ chain: [Certificate]) throws -> SPIFFEIdentity {
        guard let leaf = chain.first else {
            throw CAError(field: "certificate chain", reason: "is empty (no client certificate)")
        }
        let authority = currentAuthority
        _ = try ChainBuilder.verify(
            leaf: leaf, intermediates: Array(chain.dropFirst()) + authority.chainAfterLeaf,
            roots: liveRoots(of: authority, now: Date()), now: Date())
        if case .isCertificateAuthority = try? leaf.extensions.basicConstraints {
            throw CAError(field: "certificate chain", reason: "the leaf is a CA certificate")
        }
        if let usage = try? leaf.extensions.extendedKeyUsage, !usage.contains(.clientAuth) {
            throw CAError(field: "certificate chain", reason: "the leaf is not for client authentication")
        }
        let identity = try CSRInspector.spiffeIdentity(ofLeaf: leaf)
        try checkTrustDomain(identity)
        return identity
    }

    /// Refuses identities outside this CA's trust domain.
    func checkTrustDomain(_ identity: SPIFFEIdentity) throws {
        try identity.validate()
        guard identity.trustDomain == options.trustDomain else {
            throw CAError(
                field: "identity", reason: "\(identity.uri) is not in the trust domain '\(options.trustDomain)'",
                isPermissionDenied: true)
        }
    }

    private func finish(_ leaf: Certificate, key: GeneratedKey, authority: SigningAuthority) throws -> IssuedCertificate
    {
        state.withLock { $0.issuedCount += 1 }
        return IssuedCertificate(
            privateKeyPEM: key.pkcs8PEM,
            certificateChainPEM: try PEM.encode([leaf] + authority.chainAfterLeaf),
            notBefore: leaf.notValidBefore, notAfter: leaf.notValidAfter,
            serialNumber: CertificateTemplates.hex(leaf.serialNumber))
    }
}
