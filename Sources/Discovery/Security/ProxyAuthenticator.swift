public import CertificateAuthority
import GRPCCore
import GRPCNIOTransportHTTP2
public import Logging
import X509
public import XDSServer

/// Decides which identity an xDS or CSR caller has proven: a client certificate from this CA (TLS port), or a
/// bootstrap token in `authorization: Bearer <token>`. Node metadata proves nothing, except in the development
/// mode `trustNodeMetadata`, and even then only for callers on a UNIX socket or loopback.
///
/// Thread-safe: holds only immutable values and the thread-safe CA.
public struct ProxyAuthenticator: Sendable {
    let ca: CertificateAuthority
    /// `--insecure-trust-node-metadata`: a caller without credentials is taken at its node's word.
    public let trustNodeMetadata: Bool
    /// The CA's trust domain (`CAOptions.trustDomain`).
    public let trustDomain: String
    let logger: Logger
    /// Kubernetes mode: service-account tokens (audience `istio-ca`) proven through the API server's TokenReview,
    /// next to meshd-signed tokens and client certificates. Nil outside Kubernetes.
    public var tokenReview: TokenReviewer? = nil

    public init(
        ca: CertificateAuthority, trustDomain: String = "cluster.local", trustNodeMetadata: Bool = false, logger: Logger
    ) {
        self.ca = ca
        self.trustDomain = trustDomain
        self.trustNodeMetadata = trustNodeMetadata
        self.logger = logger
    }

    /// The verified client certificate chain a TLS transport saw, leaf first; nil on plaintext.
    /// On the secure port's own listener (`ClientCertificateListenerFactory`) it arrives as `PeerCertificates.current`.
    static func clientChain(_ transportSpecific: (any ServerContext.TransportSpecific)?) -> [Certificate]? {
        if let verified = PeerCertificates.current { return verified }
        guard let context = transportSpecific as? HTTP2ServerTransport.Posix.Context else { return nil }
        if let chain = context.peerCertificateChain { return Array(chain) }
        return context.peerCertificate.map { [$0] }
    }

    /// The authenticator for the CSR service: certificate or token, never metadata.
    public var csrAuthenticator: CertificateService.Authenticator {
        let standard = CertificateService.standardAuthenticator(ca: ca) { Self.clientChain($0.transportSpecific) }
        guard let tokenReview else { return standard }
        return Self.chaining(standard, tokenReview: tokenReview)
    }

    /// The identity of an xDS caller whose node claims `claimed`. Throws when the caller presents bad
    /// credentials, presents none (outside development mode), or proves an identity other than the one claimed.
    public func identity(of peer: PeerInfo, claimed: SPIFFEIdentity) throws -> SPIFFEIdentity {
        let caller = CertificateService.Caller(
            remotePeer: peer.remotePeer, metadata: peer.metadata, transportSpecific: peer.transportSpecific)
        let hasCredentials =
            Self.clientChain(peer.transportSpecific)?.isEmpty == false
            || CertificateService.bearerToken(in: peer.metadata) != nil
        if !hasCredentials && trustNodeMetadata && Self.isLocal(peer.remotePeer) {
            logger.warning(
                "INSECURE: trusting unverified node metadata (--insecure-trust-node-metadata)",
                metadata: ["identity": "\(claimed.uri)", "peer": "\(peer.remotePeer)"])
            return claimed
        }
        guard hasCredentials else {
            throw AdmissionError(.unauthenticated, Self.missingCredentialMessage(claimed: claimed))
        }
        let proven: SPIFFEIdentity
        do {
            proven = try csrAuthenticator(caller)
        } catch {
            throw AdmissionError(.unauthenticated, "the proxy's credentials do not verify: \(error)")
        }
        guard proven.namespace == claimed.namespace, proven.serviceAccount == claimed.serviceAccount else {
            throw AdmissionError(
                .permissionDenied, "node metadata claims \(claimed.uri) but the caller proved \(proven.uri)")
        }
        return proven
    }

    /// What a proxy without credentials is told: what meshd accepts, and how to get it.
    static func missingCredentialMessage(claimed: SPIFFEIdentity) -> String {
        "no credentials: the proxy presented neither a client certificate from meshd's CA nor a bootstrap token "
            + "(authorization: Bearer). Mint a token with `meshd token --namespace \(claimed.namespace) "
            + "--service-account \(claimed.serviceAccount)` and pass it to `meshd bootstrap --token`, "
            + "or see Docs/security.md, \"How a proxy proves who it is\""
    }

    /// UNIX-socket and loopback callers: the only ones development mode may trust.
    static func isLocal(_ remotePeer: String) -> Bool {
        remotePeer.hasPrefix("unix:") || remotePeer.hasPrefix("ipv4:127.0.0.1:") || remotePeer.hasPrefix("ipv6:[::1]:")
    }
}
