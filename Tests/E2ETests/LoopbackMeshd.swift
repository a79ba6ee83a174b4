import Foundation
import MeshTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `meshd serve` as a user runs it, on 127.0.0.1 TCP ports (xDS and admin, both free ports), with a config directory
/// of its own and no TLS port. Proxies are trusted on their node metadata (loopback only), so that clients need no
/// tokens. For tests of the xDS transport: streams, connections, limits.
final class LoopbackMeshd: Sendable {
    let process: ManagedProcess
    let directory: URL
    let xdsPort: Int
    let adminPort: Int

    var xdsTarget: String { "127.0.0.1:\(xdsPort)" }

    private init(process: ManagedProcess, directory: URL, xdsPort: Int, adminPort: Int) {
        self.process = process
        self.directory = directory
        self.xdsPort = xdsPort
        self.adminPort = adminPort
    }

    /// Starts meshd on `files` (name → YAML) with `extraArguments`, waits for /ready, runs `body`, then stops it and
    /// removes the directory. `xdsPort` reuses a port (a replacement meshd); `prefix` runs meshd under a wrapper (e.g. `prlimit --nofile=N`).
    static func with(
        files: [String: String] = [:], extraArguments: [String] = [], prefix: [String] = [],
        xdsPort fixedPort: Int? = nil,
        _ body: (LoopbackMeshd) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-loop-\(UUID().uuidString.prefix(8))")
        let config = directory.appendingPathComponent("config")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, yaml) in files {
            try yaml.write(to: config.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let xdsPort = try fixedPort ?? MeshdProcess.freeLocalPort()
        let adminPort = try MeshdProcess.freeLocalPort()
        let process = try ManagedProcess.start(
            name: "meshd",
            argv: prefix + [
                try MeshdProcess.executable(), "serve", "--config-dir", config.path, "--xds-address",
                "127.0.0.1:\(xdsPort)",
                "--admin-address", "127.0.0.1:\(adminPort)", "--state-dir", directory.appendingPathComponent("ca").path,
                "--secure-xds-address", "", "--insecure-trust-node-metadata",
            ] + extraArguments,
            logFile: directory.appendingPathComponent("meshd.log"))
        let meshd = LoopbackMeshd(process: process, directory: directory, xdsPort: xdsPort, adminPort: adminPort)
        defer {
            process.stop()
            // Keep the log where a failed run can be read.
            try? FileManager.default.copyItem(
                at: directory.appendingPathComponent("meshd.log"),
                to: FileManager.default.temporaryDirectory.appendingPathComponent("meshd-loop-last.log"))
        }
        _ = try await Poll.until("meshd /ready", timeout: .seconds(30)) { () -> Bool? in
            try process.checkRunning()
            return try meshd.admin("/ready").status == 200 ? true : nil
        }
        try await body(meshd)
    }

    func admin(_ path: String) throws -> HTTPResponse { try HTTPProbe.get("http://127.0.0.1:\(adminPort)\(path)") }

    /// The proxies in /debug/connections.
    func connections() throws -> [[String: Any]] {
        let response = try admin("/debug/connections")
        guard response.status == 200, let rows = try response.json() as? [[String: Any]] else {
            throw HarnessError("/debug/connections answered \(response.status): \(response.body.prefix(200))")
        }
        return rows
    }

    /// A metric's value from /metrics (the sum over its label sets when `labels` is nil).
    func metric(_ name: String, labels: String? = nil) throws -> Double {
        let body = try admin("/metrics").body
        var total = 0.0
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2 else { continue }
            let key = parts[0]
            guard key == name || key.hasPrefix("\(name){") else { continue }
            if let labels, !key.contains(labels) { continue }
            total += Double(parts[1]) ?? 0
        }
        return total
    }

    /// Waits until no proxy is connected: /debug/connections, /debug/syncz and pilot_xds all empty.
    func waitUntilNoProxy(_ what: String, timeout: Duration = .seconds(20)) async throws {
        _ = try await Poll.until(
            "\(what): no proxy left in /debug/connections, /debug/syncz and pilot_xds", timeout: timeout
        ) { () -> Bool? in
            let syncz = try admin("/debug/syncz").json() as? [Any]
            return try connections().isEmpty && syncz?.isEmpty == true && metric("pilot_xds") == 0 ? true : nil
        }
    }

    /// meshd's resident set size in kilobytes (VmRSS).
    var residentKilobytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// The file descriptors meshd holds now.
    var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/fd").count) ?? 0
    }

    /// Runs the grpcio client script (Tests/E2ETests/Clients/xds_clients.py) to completion; its stdout.
    func python(_ arguments: [String], timeout: Duration = .seconds(300)) throws -> String {
        let result = try Subprocess.run([RepositoryPaths.venvPython, Self.clientScript] + arguments, timeout: timeout)
        guard result.succeeded else {
            throw HarnessError("xds_clients.py \(arguments) exited \(result.status): \(result.stderr.suffix(2000))")
        }
        return result.stdout
    }

    /// Starts the grpcio client script in the background; its output goes to a log in meshd's directory.
    func startPython(_ name: String, _ arguments: [String]) throws -> ManagedProcess {
        try ManagedProcess.start(
            name: name, argv: [RepositoryPaths.venvPython, "-u", Self.clientScript] + arguments,
            logFile: directory.appendingPathComponent("\(name).log"))
    }

    /// Waits until a background process's log contains `text`.
    static func waitForOutput(_ process: ManagedProcess, _ text: String, timeout: Duration = .seconds(30)) async throws
    {
        _ = try await Poll.until("\(process.name) to print \"\(text)\"", timeout: timeout) { () -> Bool? in
            // The log first: a process that printed the text and then exited (the flood does, once it has
            // closed its connections) has done what was waited for.
            if process.logTail(maxBytes: 100_000).contains(text) { return true }
            try process.checkRunning()
            return nil
        }
    }

    static let clientScript = RepositoryPaths.root.appendingPathComponent("Tests/E2ETests/Clients/xds_clients.py").path
}
