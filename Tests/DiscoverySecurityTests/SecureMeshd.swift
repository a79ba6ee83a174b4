import CertificateAuthority
import Discovery
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import MeshModel
import MeshTestSupport
import ServiceLifecycle
import Testing
import XDSServer

/// meshd's xDS side in-process for security tests: a CA in a temporary state directory, the provider with
/// proxy authentication (no development mode) and SDS, and an ADS server over real gRPC on 127.0.0.1.
struct SecureMeshd: Sendable {
    let ca: CertificateAuthority
    let provider: MeshResourceProvider
    let ads: ADSServer<MeshResourceProvider>

    static func makeCA() throws -> CertificateAuthority {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-scope-\(UUID().uuidString)")
        return try CertificateAuthority.load(stateDirectory: directory.path, pluginDirectory: nil, options: CAOptions())
    }

    /// `authorization: Bearer <token>`, as `meshd bootstrap` makes Envoy send it.
    static func bearer(_ token: String) -> Metadata {
        var metadata: Metadata = [:]
        metadata.addString("Bearer \(token)", forKey: "authorization")
        return metadata
    }

    static func make() throws -> SecureMeshd {
        let ca = try makeCA()
        let logger = Logger(label: "test")
        let security = ProxySecurity(
            authenticator: ProxyAuthenticator(ca: ca, logger: logger), certificates: WorkloadCertificates(ca: ca))
        let provider = MeshResourceProvider(snapshot: MeshSnapshot.build(from: []), security: security)
        return SecureMeshd(ca: ca, provider: provider, ads: ADSServer(provider: provider, logger: logger))
    }

    /// Runs meshd's secure xDS service (TLS with client-certificate authentication, as `meshd serve` runs 15012)
    /// on a free port of 127.0.0.1 for the duration of `body`, which gets the port once it accepts connections.
    static func withSecurePort(_ body: @Sendable (SecureMeshd, Int) async throws -> Void) async throws {
        let meshd = try make()
        let port = try MeshdProcess.freeLocalPort()
        let logger = Logger(label: "test")
        let service = XDSGRPCService(
            address: .tcp(host: "127.0.0.1", port: port), provider: meshd.provider, ads: meshd.ads,
            readiness: Readiness(), transportSecurity: try ServingTLS.transportSecurity(ca: meshd.ca),
            clientCertificates: try ServingTLS.clientCertificates(ca: meshd.ca), logger: logger)
        let group = ServiceGroup(services: [service], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { Task { await group.triggerGracefulShutdown() } }
            try await waitUntilAccepting(port: port)
            try await body(meshd, port)
        }
    }

    /// Polls until something accepts TCP connections on 127.0.0.1:`port` (bounded: 10 s).
    static func waitUntilAccepting(port: Int) async throws {
        for _ in 0..<200 {
            if canConnect(port: port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("nothing listens on 127.0.0.1:\(port)")
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Runs the server (plaintext, an ephemeral port) for the duration of `body`, which gets the port.
    static func with(_ body: @Sendable (SecureMeshd, Int) async throws -> Void) async throws {
        let meshd = try make()
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [AggregatedDiscoveryService(server: meshd.ads)])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            let port = try #require(try await transport.listeningAddress.ipv4?.port)
            try await body(meshd, port)
        }
    }
}
