import CertificateAuthority
import Discovery
import Foundation
import GRPCCore
import Logging
import MeshModel
import MeshTestSupport
import MeshdApp
import Testing
import XDSServer

#if canImport(Glibc)
    import Glibc
#endif

/// meshd's xDS side in-process for security tests, built by `buildMeshd`: a CA in a temporary state directory, the
/// provider with proxy authentication (no development mode) and SDS, and the ADS server over real gRPC on 127.0.0.1.
/// No config (an empty mesh) and no admin server.
struct SecureMeshd: Sendable {
    let ca: CertificateAuthority
    let provider: MeshResourceProvider
    let ads: ADSServer<MeshResourceProvider>

    static func makeCA() throws -> CertificateAuthority {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-scope-\(UUID().uuidString)")
        return try CertificateAuthority.load(stateDirectory: directory.path, pluginDirectory: nil, options: CAOptions())
    }

    /// `authorization: Bearer <token>`, as `meshd bootstrap` makes Envoy send it.
    static func bearer(_ token: String) -> Metadata {
        var metadata: Metadata = [:]
        metadata.addString("Bearer \(token)", forKey: "authorization")
        return metadata
    }

    /// Runs meshd with its xDS listeners on free ports of 127.0.0.1 for the duration of `body`, which gets the port of
    /// the plaintext listener (15010) or, with `secure`, of the TLS one with client-certificate authentication (15012),
    /// once it accepts connections.
    private static func run(secure: Bool, _ body: @Sendable (SecureMeshd, Int) async throws -> Void) async throws {
        var options = MeshdOptions(logger: Logger(label: "test"))
        options.xdsAddress = .tcp(host: "127.0.0.1", port: 0)
        options.admin = nil
        let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-scope-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: stateDirectory) }
        options.security = MeshdOptions.Security(
            stateDirectory: stateDirectory.path, secureXDSAddress: secure ? .tcp(host: "127.0.0.1", port: 0) : nil)
        let application = try buildMeshd(options)
        guard let ca = application.ca else { throw HarnessError("meshd was built without its CA") }
        let meshd = SecureMeshd(ca: ca, provider: application.provider, ads: application.ads)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await application.run() }
            defer { tasks.cancelAll() }
            let port = try await application.listening.port(of: secure ? .secureXDS : .xds)
            try await waitUntilAccepting(port: port)
            try await body(meshd, port)
        }
    }

    /// Runs meshd's secure xDS service (TLS with client-certificate authentication, as `meshd serve` runs 15012)
    /// on a free port of 127.0.0.1 for the duration of `body`, which gets the port once it accepts connections.
    static func withSecurePort(_ body: @Sendable (SecureMeshd, Int) async throws -> Void) async throws {
        try await run(secure: true, body)
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

    /// Runs meshd's plaintext xDS service (15010) on a free port of 127.0.0.1 for the duration of `body`, which gets
    /// the port.
    static func with(_ body: @Sendable (SecureMeshd, Int) async throws -> Void) async throws {
        try await run(secure: false, body)
    }
}
