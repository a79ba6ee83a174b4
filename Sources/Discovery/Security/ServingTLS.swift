public import CertificateAuthority
public import GRPCNIOTransportHTTP2

/// The TLS settings of the secure xDS port (15012): a serving certificate from the CA. Client certificates are
/// not requested by the transport (grpc-swift-nio-transport offers no "verify if given" mode), so callers
/// authenticate with a bootstrap token; a peer certificate the transport does report is verified by the CA.
public enum ServingTLS {
    public static func transportSecurity(ca: CertificateAuthority, dnsNames: [String]? = nil) throws
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
