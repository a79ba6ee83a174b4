public import CertificateAuthority
public import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import NIOSSL
import X509

/// The TLS listener of the secure xDS port (15012) when it authenticates client certificates.
///
/// grpc-swift-nio-transport's own TLS server offers no "verify the client certificate if one is presented"
/// mode, and its public custom-transport API (`HTTP2ServerTransport.Custom`) cannot attach the peer certificate to
/// a call's `ServerContext`. So this listener adds its own `NIOSSLServerHandler` with `.optionalVerification`,
/// verifies a presented chain with the CA (chain to a trusted root, validity, client-auth EKU, SPIFFE identity in
/// the trust domain; a bad certificate fails the handshake), and records the verified chain per connection in
/// `PeerCertificates`. `PeerCertificates.interceptor` then makes it visible to the calls of that connection.
///
/// A client without a certificate is accepted and must authenticate with a bootstrap token, as on 15010.
struct ClientCertificateListenerFactory: HTTP2ServerTransport.ListenerFactory {
    let host: String
    let port: Int
    let sslContext: NIOSSLContext
    let ca: CertificateAuthority
    let peers: PeerCertificates
    var eventLoopGroup: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    /// The serving certificate and key, and the CA's roots as the roots a client certificate must chain to.
    init(host: String, port: Int, serving: IssuedCertificate, ca: CertificateAuthority, peers: PeerCertificates) throws {
        let chain = try ServingTLS.pemBlocks(serving.certificateChainPEM).map {
            try NIOSSLCertificate(bytes: Array($0.utf8), format: .pem)
        }
        let key = try NIOSSLPrivateKey(bytes: Array(serving.privateKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.certificateVerification = .optionalVerification
        // Only the list of acceptable CAs sent to the client; the callback below does the verifying, with the
        // bundle as it is at that moment (a root rotation needs no restart).
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.trustBundlePEM.utf8)))
        configuration.applicationProtocols = ["grpc-exp", "h2"]
        self.sslContext = try NIOSSLContext(configuration: configuration)
        self.host = host
        self.port = port
        self.ca = ca
        self.peers = peers
    }

    func makeListeningChannel(
        listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
        connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
    ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        let (sslContext, ca, peers) = (self.sslContext, self.ca, self.peers)
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { listenerConfigurator.configure(channel: $0) }
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = PeerCertificates.Connection(channel)
                    let handler = NIOSSLServerHandler(context: sslContext) { certificates, promise in
                        // Called only when the client presents a certificate.
                        do {
                            let chain = try certificates.map { try Certificate(derEncoded: try $0.toDERBytes()) }
                            _ = try ca.verifyClientChain(chain)
                            if let connection { peers.record(chain, for: connection) }
                            promise.succeed(.certificateVerified)
                        } catch {
                            promise.succeed(.failed)
                        }
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    if let connection { channel.closeFuture.whenComplete { _ in peers.forget(connection) } }
                }.flatMap {
                    connectionConfigurator.configure(channel: channel, tls: .configured(requireALPN: false))
                }
            }
    }
}
