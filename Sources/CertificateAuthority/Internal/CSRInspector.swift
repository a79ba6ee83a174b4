import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Checks on what a caller sends: a PKCS#10 CSR, or the leaf of a client chain.
enum CSRInspector {
    /// The largest CSR accepted; a real one is well under 2 KiB.
    static let maximumPEMLength = 16 * 1024

    /// Parses a PEM CSR and checks its self-signature and key strength.
    static func parse(_ pem: String) throws -> CertificateSigningRequest {
        guard pem.utf8.count <= maximumPEMLength else {
            throw CAError(field: "csr", reason: "is larger than \(maximumPEMLength) bytes")
        }
        let csr: CertificateSigningRequest
        do {
            csr = try CertificateSigningRequest(pemEncoded: pem)
        } catch {
            throw CAError(field: "csr", reason: "is not a PEM PKCS#10 certificate signing request")
        }
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw CAError(field: "csr", reason: "its signature does not verify with its own public key")
        }
        try checkKeyStrength(csr.publicKey)
        return csr
    }

    /// Refuses a CSR whose SANs are anything but exactly `expected`'s SPIFFE URI.
    static func checkIdentity(_ csr: CertificateSigningRequest, expected: SPIFFEIdentity) throws {
        let names: SubjectAlternativeNames
        do {
            guard let request = try csr.attributes.extensionRequest,
                let sans = try request.extensions.subjectAlternativeNames
            else {
                throw CAError(field: "csr", reason: "has no subjectAltName; it must ask for \(expected.uri)")
            }
            names = sans
        } catch let error as CAError {
            throw error
        } catch {
            throw CAError(field: "csr", reason: "has a malformed extension request")
        }
        let requested = names.map { name -> String in
            if case .uniformResourceIdentifier(let uri) = name { return uri }
            return "\(name)"
        }
        guard requested == [expected.uri] else {
            throw CAError(
                field: "csr",
                reason: "asks for \(requested.joined(separator: ", ")) but the caller is \(expected.uri)",
                isPermissionDenied: true)
        }
    }

    /// The one SPIFFE identity in a leaf's URI SANs.
    static func spiffeIdentity(ofLeaf leaf: Certificate) throws -> SPIFFEIdentity {
        let names = (try? leaf.extensions.subjectAlternativeNames) ?? nil
        let uris = (names.map(Array.init) ?? []).compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix("spiffe://") { return uri }
            return nil
        }
        guard uris.count == 1, let uri = uris.first else {
            throw CAError(
                field: "certificate chain",
                reason: "the leaf must carry exactly one SPIFFE URI SAN, found \(uris.count)")
        }
        return try SPIFFEIdentity(uri: uri)
    }

    /// P-256, P-384, or RSA of 2048 bits or more.
    static func checkKeyStrength(_ key: Certificate.PublicKey) throws {
        if P256.Signing.PublicKey(key) != nil || P384.Signing.PublicKey(key) != nil { return }
        if let rsa = _RSA.Signing.PublicKey(key) {
            guard rsa.keySizeInBits >= 2048 else {
                throw CAError(field: "csr", reason: "RSA key of \(rsa.keySizeInBits) bits is too weak (minimum 2048)")
            }
            return
        }
        throw CAError(field: "csr", reason: "unsupported key type (use ECDSA P-256/P-384 or RSA 2048+)")
    }
}
