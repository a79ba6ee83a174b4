import Foundation
import X509

/// The key that signs leaves, its certificate, what is served after a leaf, and the roots peers trust.
///
/// A value: the CA swaps a whole new one in on rotation, so a signature in progress never sees a half-rotated
/// state.
struct SigningAuthority: Sendable {
    /// The private key of `certificate`. Secret.
    var key: Certificate.PrivateKey
    /// The certificate of `key`: the self-signed root, or a plug-in intermediate.
    var certificate: Certificate
    /// Served after the leaf: `certificate` and any intermediates above it, without the root (unless
    /// `certificate` is itself the root).
    var chainAfterLeaf: [Certificate]
    /// Every root peers should trust, the one anchoring `certificate` first.
    var trustedRoots: [Certificate]
    var trustDomain: String
    var isPlugin: Bool

    /// Links a leaf to `certificate`'s key, so TLS stacks pick the right issuer when two roots share a name.
    var authorityKeyIdentifier: AuthorityKeyIdentifier {
        let identifier =
            ((try? certificate.extensions.subjectKeyIdentifier) ?? nil)?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
        return AuthorityKeyIdentifier(keyIdentifier: identifier)
    }

    /// The root at the top of `certificate`'s chain.
    var anchoringRoot: Certificate? { trustedRoots.first }

    /// The validity of a leaf issued now for `ttl`: starting `skew` in the past, and never outliving the
    /// signing certificate (a leaf that outlives its issuer would fail verification early anyway).
    func leafValidity(now: Date, ttl: Duration, skew: Duration) -> ClosedRange<Date> {
        let notBefore = max(now.addingTimeInterval(-skew.timeInterval), certificate.notValidBefore)
        let notAfter = min(now.addingTimeInterval(ttl.timeInterval), certificate.notValidAfter)
        return notBefore...max(notBefore, notAfter)
    }
}
