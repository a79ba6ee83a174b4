import Discovery
import Foundation
import Logging
import MeshTestSupport
import MeshdApp
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The composition root itself: what `buildMeshd` builds from options as `meshd serve` sets them, and how it refuses
/// options it cannot use.
@Suite("buildMeshd, the composition root")
struct BuildMeshdTests {
    static let logger = Logger(label: "build-meshd-test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func temporaryDirectory(_ prefix: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test(
        "a daemon on a config directory with every listener on port 0 loads the files, reports its real ports and serves on them"
    )
    func portZeroListenersReportWhereTheyAreBound() async throws {
        let directory = try Self.temporaryDirectory("meshd-build")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        try OpsConfig.service.write(
            to: config.appendingPathComponent("reviews.yaml"), atomically: true, encoding: .utf8)
        var options = MeshdOptions(logger: Self.logger)
        options.configDirectory = config.path
        options.xdsAddress = .tcp(host: "127.0.0.1", port: 0)
        options.admin = MeshdOptions.Admin(host: "127.0.0.1", port: 0)
        options.security = MeshdOptions.Security(
            stateDirectory: directory.appendingPathComponent("ca").path,
            secureXDSAddress: .tcp(host: "127.0.0.1", port: 0))
        let meshd = try buildMeshd(options)
        // The directory is read at build time, before anything runs.
        #expect(meshd.store.objects().map(\.key.description).contains("Service/default/reviews"))
        #expect(meshd.ca != nil)
        #expect(meshd.listening[.admin] == nil)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await meshd.run() }
            defer { group.cancelAll() }
            let ports = [
                try await meshd.listening.port(of: .xds), try await meshd.listening.port(of: .secureXDS),
                try await meshd.listening.port(of: .admin),
            ]
            #expect(ports.allSatisfy { $0 > 0 } && Set(ports).count == 3, "\(ports)")
            for port in ports.dropLast() {
                #expect(LocalTCP.canConnect(port: port), "nothing accepts on xDS port \(port)")
            }
            let adminPort = ports[2]
            let ready = try await Poll.until(
                "/ready on the reported admin port \(adminPort) to answer 200", timeout: .seconds(20)
            ) {
                () -> Bool? in
                let result = try await Subprocess.runInBackground(
                    [
                        "curl", "-sS", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}",
                        "http://127.0.0.1:\(adminPort)/ready",
                    ],
                    timeout: .seconds(10))
                return result.stdout == "200" ? true : nil
            }
            #expect(ready)
        }
    }

    @Test("options it cannot use are refused with an error naming the meshd serve flag")
    func setupErrorsNameTheFlag() throws {
        let directory = try Self.temporaryDirectory("meshd-build-errors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing").path
        var cases: [(MeshdOptions, String)] = []
        var options = MeshdOptions(logger: Self.logger)
        options.security = nil
        options.configDirectory = missing
        cases.append((options, "--config-dir:"))
        options.configDirectory = nil
        options.meshConfigFile = missing
        cases.append((options, "--mesh-config:"))
        options.meshConfigFile = nil
        options.admin = MeshdOptions.Admin(host: "0.0.0.0", port: 0)
        cases.append((options, "--admin-address:"))
        options.admin = nil
        let notADirectory = directory.appendingPathComponent("file")
        try "x".write(to: notADirectory, atomically: true, encoding: .utf8)
        options.security = MeshdOptions.Security(stateDirectory: notADirectory.path, secureXDSAddress: nil)
        cases.append((options, "certificate authority:"))
        for (options, prefix) in cases {
            let error = #expect(throws: MeshdSetupError.self, "\(prefix)") { try buildMeshd(options) }
            #expect(error?.description.hasPrefix(prefix) == true, "\(error.map { "\($0)" } ?? "-")")
        }
    }
}

/// A TCP connect to 127.0.0.1, to see that a listener accepts.
enum LocalTCP {
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
}
