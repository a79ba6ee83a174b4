import Foundation
public import GRPCCore
public import GRPCNIOTransportHTTP2
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

    public init(
        address: ListenAddress, provider: MeshResourceProvider, ads: ADSServer<MeshResourceProvider>, readiness: Readiness,
        transportSecurity: HTTP2ServerTransport.Posix.TransportSecurity = .plaintext,
        extraServices: [any RegistrableRPCService] = [], logger: Logger
    ) {
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
        let transport = HTTP2ServerTransport.Posix(address: socketAddress, transportSecurity: transportSecurity, config: config)
        let server = GRPCServer(transport: transport, services: [AggregatedDiscoveryService(server: ads)] + extraServices)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            group.addTask {
                let bound = try await transport.listeningAddress
                if case .unix(let path) = address {
                    chmod(path, 0o666)
                }
                readiness.markXDSListening()
                logger.info("xDS server listening", metadata: ["address": "\(bound)"])
            }
            try? await gracefulShutdown()
            logger.info("xDS server shutting down")
            server.beginGracefulShutdown()
        }
    }
}
