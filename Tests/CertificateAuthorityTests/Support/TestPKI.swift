import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificates made by the tests themselves: plug-in CA hierarchies, foreign CAs and CSRs.
enum TestPKI {
    struct Issuer {
        var key: P256.Signing.PrivateKey
        var certificate: Certificate
        var keyPEM: String { key.pemRepresentation }
        var certificatePEM: String { (try? certificate.serializeAsPEM().pemString).map { $0 + "\n" } ?? "" }
    }

    static func serial() -> Certificate.SerialNumber {
        Certificate.SerialNumber(bytes: (0..<16).map { index in index == 0 ? 0x11 : UInt8.random(in: 0 ... .max) })
    }

    /// A CA certificate: self-signed when `parent` is nil.
    static func makeCA(
        name: String, parent: Issuer? = nil, notBefore: Date = Date().addingTimeInterval(-3600),
        notAfter: Date = Date().addingTimeInterval(365 * 86_400)
    ) throws -> Issuer {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("test")
            CommonName(name)
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: serial(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: parent?.certificate.subject ?? subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(parent?.key ?? key))
        return Issuer(key: key, certificate: certificate)
    }

    /// A workload leaf for `uri`, signed by `issuer` (a CA that is not meshd's).
    static func makeLeaf(
        uri: String, issuer: Issuer, notAfter: Date = Date().addingTimeInterval(3600)
    ) throws
        -> Certificate
    {
        let key = P256.Signing.PrivateKey()
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            try ExtendedKeyUsage([.serverAuth, .clientAuth])
            SubjectAlternativeNames([.uniformResourceIdentifier(uri)])
        }
        return try Certificate(
            version: .v3, serialNumber: serial(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-7200), notValidAfter: notAfter,
            issuer: issuer.certificate.subject, subject: DistinguishedName(),
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(issuer.key))
    }

    /// A PEM CSR asking for the given SANs, signed by a new P-256 key.
    static func makeCSR(sans: [GeneralName]) throws -> String {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let extensions = try Certificate.Extensions {
            SubjectAlternativeNames(sans)
        }
        let attributes = try CertificateSigningRequest.Attributes([.init(ExtensionRequest(extensions: extensions))])
        let csr = try CertificateSigningRequest(
            version: .v1, subject: DistinguishedName(), privateKey: key, attributes: attributes,
            signatureAlgorithm: .ecdsaWithSHA256)
        return try csr.serializeAsPEM().pemString
    }

    /// A CSR for a SPIFFE identity URI.
    static func makeCSR(uri: String) throws -> String {
        try makeCSR(sans: [.uniformResourceIdentifier(uri)])
    }

    static func certificates(inPEM text: String) throws -> [Certificate] {
        try PEMDocument.parseMultiple(pemString: text).map { try Certificate(pemDocument: $0) }
    }

    static func uriSANs(of certificate: Certificate) throws -> [String] {
        guard let sans = try certificate.extensions.subjectAlternativeNames else { return [] }
        return sans.compactMap { name in
            if case .uniformResourceIdentifier(let uri) = name { return uri }
            return nil
        }
    }
}
