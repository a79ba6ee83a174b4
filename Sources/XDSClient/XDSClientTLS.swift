/// TLS towards an xDS server's secure port (meshd's 15012): the roots to verify the server against and,
/// optionally, a client certificate to present (how a proxy renews with the certificate it already has).
///
/// Holds a private key: never log it.
public struct XDSClientTLS: Sendable {
    /// PEM roots the server's certificate must chain to (the mesh's `ROOTCA`).
    public var trustRootsPEM: String
    /// The client certificate chain (leaf first) and its key, PEM; nil to present none.
    public var certificateChainPEM: String?
    public var privateKeyPEM: String?

    public init(trustRootsPEM: String, certificateChainPEM: String? = nil, privateKeyPEM: String? = nil) {
        self.trustRootsPEM = trustRootsPEM
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
    }
}

extension XDSClientTLS: CustomStringConvertible {
    /// Never includes the key.
    public var description: String {
        "XDSClientTLS(clientCertificate: \(certificateChainPEM == nil ? "none" : "present"))"
    }
}
