public import GRPCCore
public import X509

/// The CSR API, `istio.v1.auth.IstioCertificateService/CreateCertificate`, over a `CertificateAuthority`.
///
/// It signs only for the caller's proven identity: `authenticate` turns what the transport knows about the
/// caller into an identity (or throws), and the CSR must ask for exactly that identity. Validity is capped by
/// the CA and requests are rate-limited per identity. Register it on the plaintext (15010) and TLS (15012)
/// gRPC servers; it does not depend on the xDS server.
public struct CertificateService: Sendable {
    /// What is known about a caller when its request arrives.
    public struct Caller: Sendable {
        /// The transport's description of the remote address (e.g. `ipv4:127.0.0.1:53412`).
        public var remotePeer: String
        /// The request metadata, where a bootstrap token arrives as `authorization: Bearer <token>`.
        public var metadata: Metadata
        /// Transport details such as a verified TLS client certificate; nil on plaintext.
        public var transportSpecific: (any ServerContext.TransportSpecific)?

        public init(
            remotePeer: String, metadata: Metadata = [:],
            transportSpecific: (any ServerContext.TransportSpecific)? = nil
        ) {
            self.remotePeer = remotePeer
            self.metadata = metadata
            self.transportSpecific = transportSpecific
        }
    }

    /// Proves who a caller is, or throws. Must be thread-safe and must not block.
    public typealias Authenticator = @Sendable (Caller) throws -> SPIFFEIdentity

    public let ca: CertificateAuthority
    public let authenticate: Authenticator
    let limiter: CSRRateLimiter

    public init(
        ca: CertificateAuthority, rateLimit: CSRRateLimit = CSRRateLimit(), authenticate: @escaping Authenticator
    ) {
        self.ca = ca
        self.authenticate = authenticate
        self.limiter = CSRRateLimiter(limit: rateLimit)
    }

    /// The standard authenticator: a client certificate chain issued by `ca` (on mTLS, for renewal), or else a
    /// bootstrap token from `ca` in `authorization: Bearer <token>`. `clientCertificateChain` extracts the
    /// verified peer chain from the transport (nil or empty on plaintext); the TLS server wiring supplies it.
    public static func standardAuthenticator(
        ca: CertificateAuthority,
        clientCertificateChain: @escaping @Sendable (Caller) -> [Certificate]? = { _ in nil }
    ) -> Authenticator {
        { caller in
            var refusals: [String] = []
            if let chain = clientCertificateChain(caller), !chain.isEmpty {
                do {
                    return try ca.verifyClientChain(chain)
                } catch {
                    refusals.append("client certificate: \(error)")
                }
            }
            if let token = bearerToken(in: caller.metadata) {
                do {
                    return try ca.verifyToken(token)
                } catch {
                    refusals.append("\(error)")
                }
            }
            if refusals.isEmpty {
                refusals.append("no client certificate and no 'authorization: Bearer <token>' metadata")
            }
            throw CAError(field: "caller", reason: refusals.joined(separator: "; "))
        }
    }

    /// The token of the first `authorization: Bearer <token>` metadata value, if any.
    public static func bearerToken(in metadata: Metadata) -> String? {
        for value in metadata[stringValues: "authorization"] {
            let parts = value.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingPrefix(" ")
                if !token.isEmpty { return String(token) }
            }
        }
        return nil
    }
}
