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
    let serving: RenewingServingContext
    let ca: CertificateAuthority
    let peers: PeerCertificates
    var eventLoopGroup: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    func makeListeningChannel(
        listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
        connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
    ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        let (serving, ca, peers) = (self.serving, self.ca, self.peers)
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { listenerConfigurator.configure(channel: $0) }
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = PeerCertificates.Connection(channel)
                    let handler = NIOSSLServerHandler(context: serving.current()) { certificates, promise in
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
