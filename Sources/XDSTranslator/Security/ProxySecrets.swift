/// The key material one proxy may receive over SDS, handed to the translator by its caller so that the
/// translator itself stays pure (it never talks to the CA or reads files).
///
/// The caller is responsible for passing only the proxy's own identity's certificate: the translator trusts it.
public struct ProxySecrets: Sendable, Hashable {
    /// The proxy's certificate chain (leaf first) and private key, PEM; nil when none was issued.
    public var certificateChainPEM: String?
    public var privateKeyPEM: String?
    /// The trust bundle (root certificates, PEM) peers are verified against; nil when there is none.
    public var trustBundlePEM: String?

    public init(certificateChainPEM: String? = nil, privateKeyPEM: String? = nil, trustBundlePEM: String? = nil) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.trustBundlePEM = trustBundlePEM
    }
}

/// Istio's SDS resource names.
public enum SecretName {
    /// The workload's own certificate chain and key.
    public static let workloadCertificate = "default"
    /// The trust bundle.
    public static let rootCA = "ROOTCA"
}
