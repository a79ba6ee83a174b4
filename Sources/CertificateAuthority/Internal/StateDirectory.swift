import Crypto
import Foundation
import X509

/// The CA's files in its state directory, and the self-signed root kept there.
///
/// Layout (all PEM): `root-cert.pem` and `root-key.pem` (mode 0600) for the root that signs;
/// `previous-root-cert.pem` for the root replaced by the last rotation, trusted during the overlap;
/// `token-key.pem` (mode 0600), the P-256 key that signs bootstrap tokens.
struct StateDirectory: Sendable {
    let path: String

    var rootCertPath: String { "\(path)/root-cert.pem" }
    var rootKeyPath: String { "\(path)/root-key.pem" }
    var previousRootCertPath: String { "\(path)/previous-root-cert.pem" }
    var tokenKeyPath: String { "\(path)/token-key.pem" }

    /// The self-signed root authority: loaded when `root-cert.pem` exists, generated and persisted otherwise.
    func loadOrCreateRoot(options: CAOptions, now: Date) throws -> SigningAuthority {
        try SecureFile.makeDirectory(path)
        recoverInterruptedRotation()
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: rootCertPath) || fileManager.fileExists(atPath: rootKeyPath) else {
            let authority = try generateRoot(options: options, now: now, previous: nil)
            try persist(authority)
            return authority
        }
        let root = try PEM.certificates(in: PEM.readFile(rootCertPath), source: rootCertPath)[0]
        let key = try PEM.privateKey(in: PEM.readFile(rootKeyPath), source: rootKeyPath)
        guard key.publicKey == root.publicKey else {
            throw CAError(file: rootKeyPath, reason: "does not match the certificate in \(rootCertPath)")
        }
        guard root.notValidAfter > now else {
            throw CAError(
                file: rootCertPath,
                reason: "the root expired on \(root.notValidAfter); rotate it or remove both root files")
        }
        var trusted = [root]
        if fileManager.fileExists(atPath: previousRootCertPath) {
            let previous = try PEM.certificates(in: PEM.readFile(previousRootCertPath), source: previousRootCertPath)[0]
            if Self.isInOverlap(previous: previous, current: root, options: options, now: now) {
                trusted.append(previous)
            }
        }
        return SigningAuthority(
            key: key, certificate: root, chainAfterLeaf: [root], trustedRoots: trusted,
            trustDomain: options.trustDomain, isPlugin: false)
    }

    /// A new root; `previous` (the root it replaces) stays trusted during the overlap.
    func generateRoot(options: CAOptions, now: Date, previous: Certificate?) throws -> SigningAuthority {
        let key = try GeneratedKey(options.keyAlgorithm)
        let root = try CertificateTemplates.selfSignedRoot(
            key: key.certificateKey, trustDomain: options.trustDomain, validity: options.rootValidity, now: now)
        try SecureFile.write(key.pkcs8PEM, to: rootKeyPath + ".next", mode: 0o600)
        return SigningAuthority(
            key: key.certificateKey, certificate: root, chainAfterLeaf: [root],
            trustedRoots: [root] + (previous.map { [$0] } ?? []), trustDomain: options.trustDomain, isPlugin: false)
    }

    /// Writes the authority's root files. The key went to `root-key.pem.next` when it was generated and the
    /// certificate goes to `root-cert.pem.next`; both are renamed into place only after the previous root is
    /// saved. A crash between the two renames is completed on the next load (see `recoverInterruptedRotation`).
    func persist(_ authority: SigningAuthority) throws {
        if authority.trustedRoots.count > 1 {
            try SecureFile.write(PEM.encode(authority.trustedRoots[1]), to: previousRootCertPath, mode: 0o644)
        }
        try SecureFile.write(PEM.encode(authority.certificate), to: rootCertPath + ".next", mode: 0o644)
        for path in [rootKeyPath, rootCertPath] {
            guard rename(path + ".next", path) == 0 else {
                throw CAError(
                    file: path, reason: "cannot move the new file into place: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Finishes a rotation or first start that stopped between renaming the new key and the new certificate.
    private func recoverInterruptedRotation() {
        let nextCert = rootCertPath + ".next"
        guard FileManager.default.fileExists(atPath: nextCert),
            !FileManager.default.fileExists(atPath: rootKeyPath + ".next"),
            let text = try? PEM.readFile(nextCert),
            let certificate = try? PEM.certificates(in: text, source: nextCert).first,
            let keyText = try? PEM.readFile(rootKeyPath),
            let key = try? PEM.privateKey(in: keyText, source: rootKeyPath),
            key.publicKey == certificate.publicKey
        else { return }
        _ = rename(nextCert, rootCertPath)
    }

    /// The P-256 key that signs bootstrap tokens: loaded, or generated and persisted with mode 0600.
    func loadOrCreateTokenKey() throws -> P256.Signing.PrivateKey {
        try SecureFile.makeDirectory(path)
        if FileManager.default.fileExists(atPath: tokenKeyPath) {
            let text = try PEM.readFile(tokenKeyPath)
            do {
                return try P256.Signing.PrivateKey(pemRepresentation: text)
            } catch {
                throw CAError(file: tokenKeyPath, reason: "is not a PEM P-256 private key")
            }
        }
        let key = P256.Signing.PrivateKey()
        try SecureFile.write(key.pemRepresentation, to: tokenKeyPath, mode: 0o600)
        return key
    }

    /// Whether the root replaced by the last rotation is still trusted: until every leaf it could have signed
    /// has expired (the maximum workload TTL after the new root took over), and never past its own expiry.
    static func isInOverlap(previous: Certificate, current: Certificate, options: CAOptions, now: Date) -> Bool {
        let rotatedAt = current.notValidBefore.addingTimeInterval(3600)  // roots start an hour in the past
        let overlapEnd = rotatedAt.addingTimeInterval(
            options.maxWorkloadCertTTL.timeInterval + options.clockSkewAllowance.timeInterval)
        return now < overlapEnd && now < previous.notValidAfter
    }
}
