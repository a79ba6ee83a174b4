import GRPCCore
import GRPCNIOTransportHTTP2
import XDSServer

extension XDSGRPCService {
    /// The secure port over `ClientCertificateListenerFactory`: TLS that verifies a client certificate when one is
    /// presented, and hands it to each call through `PeerCertificates.interceptor`.
    func serveWithClientCertificates(
        _ tls: ClientCertificateTLS, host: String, port: Int, config: HTTP2ServerTransport.Posix.Config
    ) async throws {
        let factory = ClientCertificateListenerFactory(
            host: host, port: port, serving: tls.serving, ca: tls.ca, peers: tls.peers)
        let transport = HTTP2ServerTransport.Custom(
            listenerFactory: factory,
            config: .init(
                compression: config.compression, connection: config.connection, http2: config.http2, rpc: config.rpc,
                channelDebuggingCallbacks: config.channelDebuggingCallbacks))
        let server = GRPCServer(
            transport: transport, services: [AggregatedDiscoveryService(server: ads)] + extraServices,
            interceptors: [tls.peers.interceptor] + interceptors)
        try await serve(server) { await transport.listeningAddress }
    }
}
