import Foundation
public import GRPCCore
public import GRPCNIOTransportHTTP2
import GRPCTransportTuning
public import Logging
public import ServiceLifecycle
public import XDSServer

/// Runs the ADS gRPC server on one address until graceful shutdown: plaintext (Istio's port 15010), or TLS with
/// a serving certificate from the CA (15012). `extraServices` (the CSR service) are served next to ADS.
///
/// For a UNIX socket, a stale socket file is removed before binding and the socket is made connectable
/// by any local user, since sidecars run as uid 1337.
public struct XDSGRPCService: Service {
    let address: ListenAddress
    let provider: MeshResourceProvider
    let ads: ADSServer<MeshResourceProvider>
    let readiness: Readiness
    let logger: Logger
    let transportSecurity: HTTP2ServerTransport.Posix.TransportSecurity
    let extraServices: [any RegistrableRPCService]
    /// Run before every call; `ProxyAuthenticator.interceptors` (the TokenReview pre-check) goes here.
    let interceptors: [any ServerInterceptor]
    /// On TCP, TLS that also authenticates client certificates (replaces `transportSecurity`); see
    /// `ClientCertificateTLS`. UNIX sockets keep `transportSecurity`.
    let clientCertificates: ClientCertificateTLS?
    /// Keepalive, the concurrent-stream limit and the connection gate.
    let transport: XDSTransportSettings
    /// Called once the server is bound, with the address it listens on (the real port when asked for port 0).
    let onListening: @Sendable (ListenAddress) -> Void

    public init(
        address: ListenAddress, provider: MeshResourceProvider, ads: ADSServer<MeshResourceProvider>,
        readiness: Readiness,
        transportSecurity: HTTP2ServerTransport.Posix.TransportSecurity = .plaintext,
        extraServices: [any RegistrableRPCService] = [], interceptors: [any ServerInterceptor] = [],
        clientCertificates: ClientCertificateTLS? = nil, transport: XDSTransportSettings = XDSTransportSettings(),
        logger: Logger,
        onListening: @escaping @Sendable (ListenAddress) -> Void = { _ in }
    ) {
        self.onListening = onListening
        self.transport = transport
        self.clientCertificates = clientCertificates
        self.interceptors = interceptors
        self.transportSecurity = transportSecurity
        self.extraServices = extraServices
        self.address = address
        self.provider = provider
        self.ads = ads
        self.readiness = readiness
        self.logger = logger
    }

    public func run() async throws {
        let socketAddress: GRPCNIOTransportCore.SocketAddress
        switch address {
        case .tcp(let host, let port):
            socketAddress = host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        case .unix(let path):
            try? FileManager.default.removeItem(atPath: path)
            socketAddress = .unixDomainSocket(path: path)
        }
        var config = HTTP2ServerTransport.Posix.Config.defaults
        // Envoy keeps ADS streams open for hours; don't let idle or age limits cut them.
        config.connection.maxIdleTime = nil
        config.connection.maxAge = nil
        config.rpc.maxRequestPayloadSize = 16 * 1024 * 1024
        // A proxy that vanished without closing its connection (power loss, a dropped route) is noticed by a ping
        // that goes unanswered; its streams then end like any other and are forgotten.
        config.connection.keepalive.time = transport.keepaliveTime
        config.connection.keepalive.timeout = transport.keepaliveTimeout
        config.connection.keepalive.clientBehavior = .init(
            minPingIntervalWithoutCalls: .seconds(5), allowWithoutCalls: true)
        // NIOHTTP2 enforces 100 concurrent streams per connection unless told otherwise, without advertising it, and
        // answers the 101st with GOAWAY PROTOCOL_ERROR, failing every stream. Advertised, clients queue instead.
        config.http2.maxConcurrentStreams = transport.maxConcurrentStreams
        // Idle streams must not each keep their last (SotW EDS: hundreds of KB) request buffer.
        GRPCTransportTuning.releaseAfterEachMessage(&config.channelDebuggingCallbacks)
        GRPCTransportTuning.smallReadBuffers(&config.channelDebuggingCallbacks)
        GRPCTransportTuning.listenBacklog(&config.channelDebuggingCallbacks)
        GRPCTransportTuning.closeSilentConnections(
            &config.channelDebuggingCallbacks, after: transport.keepaliveTime + transport.keepaliveTimeout)
        if let gate = transport.gate {
            GRPCTransportTuning.gateConnections(&config.channelDebuggingCallbacks, with: gate)
            provider.connected.onAdmission { gate.authenticated(remotePeer: $0) }
        }
        if let clientCertificates, case .tcp(let host, let port) = address {
            try await serveWithClientCertificates(clientCertificates, host: host, port: port, config: config)
            return
        }
        let transport = HTTP2ServerTransport.Posix(
            address: socketAddress, transportSecurity: transportSecurity, config: config)
        let server = GRPCServer(
            transport: transport, services: [AggregatedDiscoveryService(server: ads)] + extraServices,
            interceptors: interceptors)
        try await serve(server) { try await transport.listeningAddress }
    }

    /// Serves until graceful shutdown; `bound` waits for the listening address.
    func serve<Transport>(
        _ server: GRPCServer<Transport>,
        bound: @escaping @Sendable () async throws -> GRPCNIOTransportCore.SocketAddress?
    ) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            group.addTask {
                let bound = try await bound()
                if case .unix(let path) = address {
                    chmod(path, 0o666)
                }
                readiness.markXDSListening()
                logger.info("xDS server listening", metadata: ["address": "\(bound.map { "\($0)" } ?? "?")"])
                onListening(ListenAddress(bound) ?? address)
            }
            try? await gracefulShutdown()
            logger.info("xDS server shutting down")
            server.beginGracefulShutdown()
            // ADS streams last for hours: end them (UNAVAILABLE), or the server would wait for them forever.
            ads.drain()
        }
    }
}

extension ListenAddress {
    /// The address a gRPC transport reports it is bound to; nil for a kind meshd does not listen on.
    init?(_ bound: GRPCNIOTransportCore.SocketAddress?) {
        if let ipv4 = bound?.ipv4 {
            self = .tcp(host: ipv4.host, port: ipv4.port)
        } else if let ipv6 = bound?.ipv6 {
            self = .tcp(host: ipv6.host, port: ipv6.port)
        } else if let unix = bound?.unixDomainSocket {
            self = .unix(path: unix.path)
        } else {
            return nil
        }
    }
}
