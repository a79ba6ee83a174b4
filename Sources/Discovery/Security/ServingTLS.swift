public import CertificateAuthority
public import GRPCNIOTransportHTTP2

/// The TLS settings of the secure xDS port (15012): a serving certificate from the CA. On TCP the port also
/// authenticates client certificates (`clientCertificates`); grpc-swift-nio-transport's own TLS server (used on a
/// UNIX socket) cannot ask for one without requiring it, so there callers authenticate with a bootstrap token.
public enum ServingTLS {
    /// TLS with a serving certificate from the CA that also verifies a client certificate when one is presented.
    public static func clientCertificates(
        ca: CertificateAuthority, dnsNames: [String]? = nil
    ) throws
        -> ClientCertificateTLS
    {
        ClientCertificateTLS(serving: try RenewingServingContext(ca: ca, dnsNames: dnsNames), ca: ca)
    }

    public static func transportSecurity(
        ca: CertificateAuthority, dnsNames: [String]? = nil
    ) throws
        -> HTTP2ServerTransport.Posix.TransportSecurity
    {
        let serving = try ca.issueServingCertificate(dnsNames: dnsNames)
        let chain = pemBlocks(serving.certificateChainPEM).map {
            TLSConfig.CertificateSource.bytes(Array($0.utf8), format: .pem)
        }
        return .tls(certificateChain: chain, privateKey: .bytes(Array(serving.privateKeyPEM.utf8), format: .pem))
    }

    /// Splits a PEM bundle into its `-----BEGIN ...-----` blocks.
    static func pemBlocks(_ pem: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring] = []
        for line in pem.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("-----BEGIN") { current = [] }
            current.append(line)
            if line.hasPrefix("-----END") { blocks.append(current.joined(separator: "\n") + "\n") }
        }
        return blocks
    }
}

/// The secure port's TLS when it authenticates client certificates: the serving certificate, the CA that verifies
/// client chains, and the verified chains of the open connections. Holds a private key: never log it.
public struct ClientCertificateTLS: Sendable {
    /// The serving certificate, re-issued at half of its lifetime.
    let serving: RenewingServingContext
    let ca: CertificateAuthority
    /// The verified client chains of this port's open connections.
    public let peers = PeerCertificates()
}
