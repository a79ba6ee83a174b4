public import Foundation

/// A freshly issued key and certificate chain, ready for an SDS `default` secret or a TLS server.
///
/// Holds a private key: never log it or show it on an admin page.
public struct IssuedCertificate: Sendable {
    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    public var privateKeyPEM: String
    /// The leaf first, then the intermediates; the root only when the CA signs with the root itself.
    public var certificateChainPEM: String
    public var notBefore: Date
    public var notAfter: Date
    /// The leaf's serial number in lowercase hex.
    public var serialNumber: String

    public init(
        privateKeyPEM: String, certificateChainPEM: String, notBefore: Date, notAfter: Date, serialNumber: String
    ) {
        self.privateKeyPEM = privateKeyPEM
        self.certificateChainPEM = certificateChainPEM
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.serialNumber = serialNumber
    }
}

extension IssuedCertificate: CustomStringConvertible {
    /// Describes the certificate without the key, so that string interpolation cannot leak it.
    public var description: String {
        "IssuedCertificate(serial: \(serialNumber), notBefore: \(notBefore), notAfter: \(notAfter))"
    }
}
