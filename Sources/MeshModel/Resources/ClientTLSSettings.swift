/// A DestinationRule's `trafficPolicy.tls`: how a client's sidecar talks TLS to the destination.
public struct ClientTLSSettings: Sendable, Hashable {
    /// `tls.mode`.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Plaintext, even where auto-mTLS would use mutual TLS.
        case disable = "DISABLE"
        /// TLS, verifying the server with `caCertificates` (files on the proxy).
        case simple = "SIMPLE"
        /// Mutual TLS with the certificate and key files named here.
        case mutual = "MUTUAL"
        /// Mutual TLS with the mesh's own workload certificates (SDS `default` and `ROOTCA`).
        case istioMutual = "ISTIO_MUTUAL"
    }

    public var mode: Mode
    public var clientCertificate: String?
    public var privateKey: String?
    public var caCertificates: String?
    public var sni: String?
    public var subjectAltNames: [String]
    /// `insecureSkipVerify`: do not verify the server's certificate (SIMPLE and MUTUAL).
    public var insecureSkipVerify: Bool
    /// `credentialName`: a Secret holding the client key material. istiod only uses it on gateways (and on
    /// sidecars selected by a DestinationRule `workloadSelector`); a plain sidecar originates no TLS with it.
    public var credentialName: String?

    public init(
        mode: Mode, clientCertificate: String? = nil, privateKey: String? = nil, caCertificates: String? = nil,
        sni: String? = nil, subjectAltNames: [String] = [], insecureSkipVerify: Bool = false,
        credentialName: String? = nil
    ) {
        self.mode = mode
        self.clientCertificate = clientCertificate
        self.privateKey = privateKey
        self.caCertificates = caCertificates
        self.sni = sni
        self.subjectAltNames = subjectAltNames
        self.insecureSkipVerify = insecureSkipVerify
        self.credentialName = credentialName
    }
}
