public import Foundation

/// What the CA shows to metrics and the admin page. Holds no key material.
public struct CAStatus: Sendable, Hashable {
    /// Expiry of the root that currently signs (or anchors the plug-in intermediate).
    public var rootNotAfter: Date
    /// Expiry of the certificate whose key signs leaves (the root itself, or the plug-in intermediate).
    public var signingCertNotAfter: Date
    /// CSRs received through `sign(csrPEM:for:ttl:)`, refused ones included (`citadel_server_csr_count`).
    public var csrCount: Int
    /// Certificates issued: signed CSRs, generated workload certificates and serving certificates.
    public var issuedCount: Int
    /// Roots in the trust bundle: two during a root rotation's overlap, otherwise one (or what the plug-in
    /// root file holds).
    public var trustedRootCount: Int
    /// True when the CA signs with a plug-in intermediate rather than its own self-signed root.
    public var isPluginCA: Bool

    public init(
        rootNotAfter: Date, signingCertNotAfter: Date, csrCount: Int, issuedCount: Int, trustedRootCount: Int,
        isPluginCA: Bool
    ) {
        self.rootNotAfter = rootNotAfter
        self.signingCertNotAfter = signingCertNotAfter
        self.csrCount = csrCount
        self.issuedCount = issuedCount
        self.trustedRootCount = trustedRootCount
        self.isPluginCA = isPluginCA
    }
}
