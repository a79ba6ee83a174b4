import Crypto
import Foundation
import SwiftASN1
import X509

/// The shapes of the certificates the CA makes: roots, workload leaves and serving leaves.
enum CertificateTemplates {
    /// A random, positive 128-bit serial number, as RFC 5280 recommends (at least 64 bits of entropy).
    static func randomSerial() -> Certificate.SerialNumber {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0 ... .max) }
        bytes[0] = (bytes[0] & 0x7F) | 0x01  // positive, and no leading zero byte to strip
        return Certificate.SerialNumber(bytes: bytes)
    }

    /// The serial number in lowercase hex, as shown on admin pages and compared in tests.
    static func hex(_ serial: Certificate.SerialNumber) -> String {
        serial.bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    /// A self-signed root for `trustDomain`. The common name carries the creation time, so that two roots
    /// of one trust domain (during a rotation) have different subjects and chain building cannot confuse them.
    static func selfSignedRoot(
        key: Certificate.PrivateKey, trustDomain: String, validity: Duration, now: Date
    ) throws
        -> Certificate
    {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime]
        let subject = try DistinguishedName {
            OrganizationName(trustDomain)
            CommonName("meshd root CA \(formatter.string(from: now))")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: key.publicKey)
        }
        return try Certificate(
            version: .v3, serialNumber: randomSerial(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(validity.timeInterval),
            issuer: subject, subject: subject, signatureAlgorithm: signatureAlgorithm(for: key),
            extensions: extensions, issuerPrivateKey: key)
    }

    /// A workload leaf: empty subject, one critical SPIFFE URI SAN, client and server auth, not a CA.
    static func workloadLeaf(
        publicKey: Certificate.PublicKey, identity: SPIFFEIdentity, validity: ClosedRange<Date>,
        issuer: SigningAuthority
    ) throws -> Certificate {
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([.serverAuth, .clientAuth])
            Critical(SubjectAlternativeNames([.uniformResourceIdentifier(identity.uri)]))
            issuer.authorityKeyIdentifier
        }
        return try Certificate(
            version: .v3, serialNumber: randomSerial(), publicKey: publicKey,
            notValidBefore: validity.lowerBound, notValidAfter: validity.upperBound,
            issuer: issuer.certificate.subject, subject: DistinguishedName(),
            signatureAlgorithm: signatureAlgorithm(for: issuer.key), extensions: extensions,
            issuerPrivateKey: issuer.key)
    }

    /// A TLS server leaf for the xDS port: DNS SANs, server auth only.
    static func servingLeaf(
        publicKey: Certificate.PublicKey, dnsNames: [String], validity: ClosedRange<Date>, issuer: SigningAuthority
    ) throws -> Certificate {
        let subject = try DistinguishedName {
            OrganizationName(issuer.trustDomain)
            CommonName(dnsNames.first ?? "meshd")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(dnsNames.map { .dnsName($0) })
            issuer.authorityKeyIdentifier
        }
        return try Certificate(
            version: .v3, serialNumber: randomSerial(), publicKey: publicKey,
            notValidBefore: validity.lowerBound, notValidAfter: validity.upperBound,
            issuer: issuer.certificate.subject, subject: subject,
            signatureAlgorithm: signatureAlgorithm(for: issuer.key), extensions: extensions,
            issuerPrivateKey: issuer.key)
    }

    /// SHA-256 signatures for every key type (swift-certificates would pick SHA-512 for RSA; SHA-256 is what
    /// every TLS stack expects).
    static func signatureAlgorithm(for key: Certificate.PrivateKey) -> Certificate.SignatureAlgorithm {
        if P256.Signing.PublicKey(key.publicKey) != nil { return .ecdsaWithSHA256 }
        if P384.Signing.PublicKey(key.publicKey) != nil { return .ecdsaWithSHA384 }
        if P521.Signing.PublicKey(key.publicKey) != nil { return .ecdsaWithSHA512 }
        return .sha256WithRSAEncryption
    }
}

extension Duration {
    /// The duration in seconds, as Foundation's `TimeInterval`.
    var timeInterval: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
