import Foundation
import X509

/// Loads a plug-in CA in Istio's layout: `ca-cert.pem` (the intermediate that signs), `ca-key.pem` (its key),
/// `root-cert.pem` (the roots to trust) and `cert-chain.pem` (`ca-cert` and the certificates above it).
///
/// Every check that fails names the file that is wrong, so an operator can fix it before meshd starts.
enum PluginCALoader {
    static func load(directory: String, trustDomain: String, now: Date) throws -> SigningAuthority {
        let certPath = "\(directory)/ca-cert.pem"
        let keyPath = "\(directory)/ca-key.pem"
        let rootPath = "\(directory)/root-cert.pem"
        let chainPath = "\(directory)/cert-chain.pem"

        let caCerts = try PEM.certificates(in: PEM.readFile(certPath), source: certPath)
        let caCert = caCerts[0]
        let key = try PEM.privateKey(in: PEM.readFile(keyPath), source: keyPath)
        let roots = try PEM.certificates(in: PEM.readFile(rootPath), source: rootPath)
        let chain = try PEM.certificates(in: PEM.readFile(chainPath), source: chainPath)

        guard key.publicKey == caCert.publicKey else {
            throw CAError(file: keyPath, reason: "does not match the certificate in \(certPath)")
        }
        try checkCertificateAuthority(caCert, file: certPath, now: now)
        for root in roots {
            try checkCertificateAuthority(root, file: rootPath, now: now)
        }
        for (index, certificate) in chain.enumerated() where !(roots.contains(certificate)) {
            do {
                try checkCertificateAuthority(certificate, file: chainPath, now: now)
            } catch let error as CAError {
                throw CAError(file: chainPath, reason: "certificate \(index + 1): \(error.reason)")
            }
        }

        // Served after a leaf: ca-cert, then the intermediates of cert-chain.pem above it, without roots.
        var served = [caCert]
        for certificate in chain
        where certificate != caCert && !roots.contains(certificate) && !isSelfSigned(certificate) {
            served.append(certificate)
        }
        guard let anchor = try ChainBuilder.anchor(of: served, in: roots) else {
            throw CAError(file: chainPath, reason: "\(certPath) and this chain do not lead to a root in \(rootPath)")
        }
        return SigningAuthority(
            key: key, certificate: caCert, chainAfterLeaf: served,
            trustedRoots: [anchor] + roots.filter { $0 != anchor }, trustDomain: trustDomain, isPlugin: true)
    }

    /// A CA certificate that is valid now: basic constraints say CA, and the key may sign certificates.
    private static func checkCertificateAuthority(_ certificate: Certificate, file: String, now: Date) throws {
        guard certificate.notValidAfter > now else {
            throw CAError(file: file, reason: "the CA certificate expired on \(certificate.notValidAfter)")
        }
        guard certificate.notValidBefore <= now else {
            throw CAError(file: file, reason: "the CA certificate is not valid before \(certificate.notValidBefore)")
        }
        guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else {
            throw CAError(file: file, reason: "is not a CA certificate (basicConstraints CA:TRUE is missing)")
        }
        if let usage = try? certificate.extensions.keyUsage, !usage.keyCertSign {
            throw CAError(file: file, reason: "its key usage does not allow signing certificates (keyCertSign)")
        }
    }

    static func isSelfSigned(_ certificate: Certificate) -> Bool {
        certificate.issuer == certificate.subject
            && certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }
}
