import Foundation
import X509

/// Synchronous path building and verification over the CA's own small set of roots and intermediates.
///
/// Meshd only ever verifies chains it issued (depth of two or three), so a small, strict builder is enough:
/// each link needs a matching name, a valid signature, a CA issuer and validity at `now`.
enum ChainBuilder {
    /// How many certificates above the leaf a path may have.
    static let maximumDepth = 6

    /// The root in `roots` that `chain` (signing certificate first, each one issued by the next) leads to, or
    /// nil. Validity dates are not checked: callers check them with errors of their own.
    static func anchor(of chain: [Certificate], in roots: [Certificate]) throws -> Certificate? {
        guard let top = chain.last else { return nil }
        for (child, parent) in zip(chain, chain.dropFirst()) where !isIssued(child, by: parent) {
            return nil
        }
        if let root = roots.first(where: { $0 == top }) {
            return root
        }
        return roots.first { isIssued(top, by: $0) }
    }

    /// Builds the path from `leaf` to one of `roots` through `intermediates`, checking every link at `now`.
    /// Returns the path, leaf first and root last; throws a `CAError` saying which link failed.
    static func verify(
        leaf: Certificate, intermediates: [Certificate], roots: [Certificate], now: Date
    ) throws
        -> [Certificate]
    {
        try checkValidity(leaf, role: "the leaf", now: now)
        var path = [leaf]
        var current = leaf
        for _ in 0...maximumDepth {
            if roots.contains(current) && path.count > 1 {
                return path
            }
            if let root = roots.first(where: { isIssued(current, by: $0) }) {
                try checkValidity(root, role: "the root", now: now)
                return path + [root]
            }
            guard let parent = intermediates.first(where: { isIssued(current, by: $0) && !path.contains($0) }) else {
                throw CAError(
                    field: "certificate chain",
                    reason: "does not lead to a trusted root (no issuer for '\(current.issuer)')")
            }
            try checkValidity(parent, role: "an intermediate", now: now)
            path.append(parent)
            current = parent
        }
        throw CAError(field: "certificate chain", reason: "is longer than \(maximumDepth) certificates")
    }

    /// Whether `parent` is a CA whose name and key issued `child`.
    static func isIssued(_ child: Certificate, by parent: Certificate) -> Bool {
        guard child.issuer == parent.subject else { return false }
        guard case .isCertificateAuthority = try? parent.extensions.basicConstraints else { return false }
        if let usage = try? parent.extensions.keyUsage, !usage.keyCertSign { return false }
        return parent.publicKey.isValidSignature(child.signature, for: child)
    }

    private static func checkValidity(_ certificate: Certificate, role: String, now: Date) throws {
        guard certificate.notValidBefore <= now else {
            throw CAError(
                field: "certificate chain", reason: "\(role) is not valid before \(certificate.notValidBefore)")
        }
        guard certificate.notValidAfter > now else {
            throw CAError(field: "certificate chain", reason: "\(role) expired on \(certificate.notValidAfter)")
        }
    }
}
