import ArgumentParser
import Foundation
import SyntheticMesh
import XDSClient

/// `meshd-load run`: connect N simulated sidecars, time the sync, optionally make one change and time the
/// convergence, optionally drop and reconnect everyone, and report meshd's memory, CPU and pushes.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Simulate N Envoy sidecars against meshd and measure sync and convergence.")

    @OptionGroup var options: RunOptions

    func run() async throws {
        guard options.proxies > 0, options.proxies <= 50_000 else { throw ValidationError("--proxies: 1...50000") }
        guard (0...1).contains(options.nackFraction) else { throw ValidationError("--nack-fraction: 0...1") }
        guard ["none", "endpoint", "virtual-service"].contains(options.change) else {
            throw ValidationError("--change: none, endpoint or virtual-service")
        }
        guard ["sotw", "delta"].contains(options.mode) else { throw ValidationError("--mode: sotw or delta") }
        guard options.mode == "sotw" || (options.record == nil && options.replay == nil) else {
            throw ValidationError("--record and --replay work in sotw mode only")
        }
        var notes: [String] = []
        let limit = FileLimit.raiseToHard()
        if let problem = FileLimit.problem(proxies: options.proxies + options.stalledProxies, limit: limit) {
            throw ValidationError(problem)
        }
        if let problem = FileLimit.portProblem(proxies: options.proxies) { notes.append(problem) }

        guard (0...1000).contains(options.churnRate), (1...3600).contains(options.churnSeconds) else {
            throw ValidationError("--churn-rate: 0...1000 a second; --churn-seconds: 1...3600")
        }
        let mesh = SyntheticMesh(
            services: options.services, endpointsPerService: options.endpoints, namespaces: options.namespaces,
            filePerService: options.churnRate > 0)
        let configDir = try prepareConfig(mesh)
        let target = try await LoadTarget.start(options: options, configDir: configDir)
        defer { target.server?.stop() }
        let report = try await LoadScenario(
            options: options, mesh: mesh, configDir: configDir, target: target, notes: notes
        ).run()
        if options.json { try report.printJSON() } else { report.printTable() }
    }

    private func prepareConfig(_ mesh: SyntheticMesh) throws -> URL {
        if let dir = options.configDir { return URL(fileURLWithPath: dir) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-load-\(getpid())")
        _ = try mesh.write(to: dir)
        return dir
    }

    static func ownExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// The server under load: where its xDS and admin ports are, and its pid for /proc.
struct LoadTarget: Sendable {
    let name: String
    let xdsPort: Int
    let adminPort: Int?
    let pid: Int32?
    let server: SpawnedServer?
}

extension LoadTarget {
    /// Spawns the replay server or meshd as the options ask, or points at an already running server.
    static func start(options: RunOptions, configDir: URL) async throws -> LoadTarget {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-load-run-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        if let recording = options.replay {
            guard let port = AdminHTTP.freePort() else { throw LoadError("no free port on 127.0.0.1") }
            let server = try SpawnedServer(
                executable: RunCommand.ownExecutable(),
                arguments: ["replay-server", "--recording", recording, "--port", "\(port)"],
                logPath: scratch.appendingPathComponent("replay.log").path)
            do {
                try await server.waitUntil("replay server listening", timeout: .seconds(60)) {
                    (try? String(contentsOfFile: server.logPath, encoding: .utf8))?.contains("listening") == true
                }
            } catch {
                server.stop()
                throw error
            }
            return LoadTarget(name: "replay server", xdsPort: port, adminPort: nil, pid: server.pid, server: server)
        }
        if let meshd = options.meshd {
            guard let xdsPort = AdminHTTP.freePort(), let adminPort = AdminHTTP.freePort() else {
                throw LoadError("no free port on 127.0.0.1")
            }
            let arguments =
                [
                    "serve", "--config-dir", configDir.path, "--xds-address", "127.0.0.1:\(xdsPort)",
                    "--admin-address", "127.0.0.1:\(adminPort)", "--state-dir",
                    scratch.appendingPathComponent("ca").path,
                    "--secure-xds-address", "", "--insecure-trust-node-metadata", "--log-level", "warning",
                ] + options.meshdArgs.split(separator: " ").map(String.init)
            let server = try SpawnedServer(
                executable: meshd, arguments: arguments, logPath: scratch.appendingPathComponent("meshd.log").path)
            do {
                try await server.waitUntil("meshd /ready", timeout: .seconds(Int64(options.readyTimeout))) {
                    AdminHTTP.get(port: adminPort, path: "/ready", timeoutSeconds: 2)?.status == 200
                }
            } catch {
                server.stop()
                throw error
            }
            return LoadTarget(
                name: "meshd (spawned)", xdsPort: xdsPort, adminPort: adminPort, pid: server.pid, server: server)
        }
        guard let address = options.xdsAddress, let colon = address.lastIndex(of: ":"),
            let port = Int(address[address.index(after: colon)...]), address.hasPrefix("127.")
        else { throw ValidationError("give --meshd PATH, --replay DIR, or --xds-address 127.x.y.z:PORT") }
        return LoadTarget(
            name: "meshd at \(address)", xdsPort: port, adminPort: options.adminPort, pid: options.meshdPid, server: nil
        )
    }
}
