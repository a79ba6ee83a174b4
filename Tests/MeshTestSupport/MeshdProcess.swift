public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `meshd serve` running in the root namespace for one test, reading YAML from a config directory it owns.
///
/// Pods cannot reach the root namespace's 127.0.0.1, so xDS is served on a UNIX socket in the network's
/// scratch directory (which uid 1337 can traverse); the admin server listens on a free port on 127.0.0.1.
public final class MeshdProcess: Sendable {
    public let process: ManagedProcess
    public let configDirectory: URL
    /// The xDS socket path; sidecars use `xdsAddress`.
    public let xdsSocket: String
    /// `127.0.0.1:<port>` of the admin server.
    public let adminAddress: String
    /// The CA's state directory (`root-cert.pem`, `root-key.pem`, `token-key.pem`).
    public let stateDirectory: String
    /// The TLS xDS socket (meshd's 15012 role).
    public let secureXDSSocket: String

    public var xdsAddress: String { "unix:\(xdsSocket)" }

    private init(
        process: ManagedProcess, configDirectory: URL, xdsSocket: String, adminAddress: String, stateDirectory: String,
        secureXDSSocket: String
    ) {
        self.stateDirectory = stateDirectory
        self.secureXDSSocket = secureXDSSocket
        self.process = process
        self.configDirectory = configDirectory
        self.xdsSocket = xdsSocket
        self.adminAddress = adminAddress
    }

    /// The debug build of meshd; a `HarnessError` saying how to build it when it is missing.
    public static func executable() throws -> String {
        let path = RepositoryPaths.root.appendingPathComponent(".build/debug/meshd").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(path) is missing: run Scripts/test (or `swift build`) first")
        }
        return path
    }

    /// Writes `configFiles` (file name → YAML) into a fresh config directory, starts `meshd serve` on it, and waits
    /// (bounded) until `GET /ready` answers 200. The process belongs to `network` and stops at its teardown.
    ///
    /// The CA keeps its state in the scratch directory. Sidecars authenticate for real: `bootstrap(for:)` mints a
    /// bootstrap token per pod with `meshd token`. `trustNodeMetadata` adds `--insecure-trust-node-metadata` for
    /// tests that want proxies without credentials. The TLS xDS port is a second UNIX socket, so parallel tests
    /// never compete for 15012. `extraArguments` go last (e.g. a short `--workload-cert-ttl`).
    ///
    /// `name` tells several meshd of one network apart (replicas): any other name than `meshd` prefixes the socket,
    /// directory and log names with it.
    public static func start(
        in network: MeshNetwork, name: String = "meshd", configFiles: [String: String], extraArguments: [String] = [],
        trustNodeMetadata: Bool = false
    ) async throws -> MeshdProcess {
        let executable = try executable()
        let own = name == "meshd" ? "" : "\(name)-"
        let configDirectory = network.scratchDirectory.appendingPathComponent("\(own)config")
        try FileManager.default.createDirectory(at: configDirectory, withIntermediateDirectories: true)
        let xdsSocket = network.scratchDirectory.appendingPathComponent("\(own)xds.sock").path
        let adminAddress = "127.0.0.1:\(try freeLocalPort())"
        let stateDirectory = network.scratchDirectory.appendingPathComponent("\(own)ca-state").path
        let secureXDSSocket = network.scratchDirectory.appendingPathComponent("\(own)xds-tls.sock").path
        for (name, yaml) in configFiles {
            try yaml.write(to: configDirectory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let process = try ManagedProcess.start(
            name: "meshd",
            argv: [
                executable, "serve", "--config-dir", configDirectory.path, "--xds-address", "unix:\(xdsSocket)",
                "--admin-address", adminAddress,
                "--state-dir", stateDirectory, "--secure-xds-address", "unix:\(secureXDSSocket)",
            ] + (trustNodeMetadata ? ["--insecure-trust-node-metadata"] : []) + extraArguments,
            logFile: network.outputDirectory.appendingPathComponent("\(name).log"))
        network.track(process)
        NamespaceJanitor.recordProcess(process.pid, executable: executable, for: network.prefix)
        let meshd = MeshdProcess(
            process: process, configDirectory: configDirectory, xdsSocket: xdsSocket, adminAddress: adminAddress,
            stateDirectory: stateDirectory, secureXDSSocket: secureXDSSocket)
        _ = try await Poll.until("meshd /ready to answer 200", timeout: .seconds(20)) { () -> Bool? in
            try process.checkRunning()
            return try meshd.admin("/ready").status == 200 ? true : nil
        }
        return meshd
    }

    /// Replaces (or creates) one config file the way an editor or `kubectl` would: the new content is written
    /// next to it and renamed over it, so meshd never reads half a file.
    public func writeConfig(_ name: String, _ yaml: String) throws {
        try yaml.write(to: configDirectory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// The path meshd knows a config file by.
    public func configPath(_ name: String) -> String { configDirectory.appendingPathComponent(name).path }

    /// GETs an admin path from meshd.
    public func admin(_ path: String) throws -> HTTPResponse {
        try HTTPProbe.get("http://\(adminAddress)\(path)")
    }

    /// `GET /debug/syncz`: per proxy and type, what was sent and what was ACKed or NACKed.
    public func syncz() throws -> [ProxySyncStatus] {
        let response = try admin("/debug/syncz")
        guard response.status == 200 else { throw HarnessError("/debug/syncz answered \(response.status)") }
        return try response.decode([ProxySyncStatus].self)
    }

    /// `GET /debug/configz`: the objects in force and the errors of refused input.
    public func configz() throws -> ConfigStatus {
        let response = try admin("/debug/configz")
        guard response.status == 200 else { throw HarnessError("/debug/configz answered \(response.status)") }
        return try response.decode(ConfigStatus.self)
    }

    /// `meshd token` for `namespace`/`serviceAccount`, signed with this meshd's token key, in `trustDomain` (nil:
    /// the default, `cluster.local`).
    public func token(
        namespace: String, serviceAccount: String, ttl: String = "1h", trustDomain: String? = nil
    ) throws -> String {
        let result = try Subprocess.run(
            [
                try Self.executable(), "token", "--state-dir", stateDirectory, "--namespace", namespace,
                "--service-account", serviceAccount, "--ttl", ttl,
            ] + (trustDomain.map { ["--trust-domain", $0] } ?? []), timeout: .seconds(30))
        let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.succeeded, !token.isEmpty else {
            throw HarnessError(
                "`meshd token` for \(namespace)/\(serviceAccount) exited with \(result.status): \(result.stderr)")
        }
        return token
    }

    /// `meshd bootstrap` for `pod`: the Envoy bootstrap JSON that points its sidecar at this meshd, carrying a
    /// bootstrap token for the pod's identity (minted with `meshd token`) unless `withToken` is false.
    /// `extraArguments` are passed on (e.g. `--delta`). `replicas` lists more meshd whose xDS sockets the
    /// sidecar's xds-grpc cluster holds too (after this one's).
    public func bootstrap(
        for pod: Pod, withToken: Bool = true, trustDomain: String? = nil, extraArguments: [String] = [],
        replicas: [MeshdProcess] = []
    ) throws -> String {
        var argv = [
            try Self.executable(), "bootstrap", "--node-ip", pod.ip, "--pod", pod.name, "--namespace", pod.namespace,
            "--service-account", pod.serviceAccount, "--xds-address", xdsAddress,
            "--admin-port", "\(Sidecar.adminPort)",
        ]
        for replica in replicas { argv += ["--xds-address", replica.xdsAddress] }
        if withToken {
            argv += [
                "--token",
                try token(namespace: pod.namespace, serviceAccount: pod.serviceAccount, trustDomain: trustDomain),
            ]
        }
        for (key, value) in pod.labels.sorted(by: { $0.key < $1.key }) { argv += ["--label", "\(key)=\(value)"] }
        argv += extraArguments
        let result = try Subprocess.run(argv, timeout: .seconds(30))
        guard result.succeeded else {
            throw HarnessError("`meshd bootstrap` for \(pod.name) exited with \(result.status): \(result.stderr)")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) is [String: Any] else {
            throw HarnessError("`meshd bootstrap` for \(pod.name) printed no JSON object: \(result.stdout.prefix(300))")
        }
        return result.stdout
    }

    /// Stops meshd with SIGTERM (then SIGKILL after a grace period).
    public func stop() { process.stop() }

    /// A TCP port on 127.0.0.1 that was free a moment ago: one the kernel picks, or, with `MESHD_TEST_PORTS=LOW-HIGH`
    /// set (runs that share the machine and were given a range), a free one of that range, tried from a random start.
    public static func freeLocalPort() throws -> Int {
        guard let range = portRange else { return try bindableLocalPort(0) }
        let start = Int.random(in: range)
        for offset in 0..<range.count {
            let port = range.lowerBound + (start - range.lowerBound + offset) % range.count
            if let bound = try? bindableLocalPort(port) { return bound }
        }
        throw HarnessError("no free port in MESHD_TEST_PORTS \(range)")
    }

    /// `MESHD_TEST_PORTS` as a range, nil when unset or not `LOW-HIGH` with 0 < LOW <= HIGH < 65536.
    static let portRange: ClosedRange<Int>? = {
        guard let text = ProcessInfo.processInfo.environment["MESHD_TEST_PORTS"] else { return nil }
        let bounds = text.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard bounds.count == 2, bounds[0] > 0, bounds[0] <= bounds[1], bounds[1] < 65_536 else { return nil }
        return bounds[0]...bounds[1]
    }()

    /// Binds `port` (0: any) on 127.0.0.1 and returns the bound port, closing the socket again.
    private static func bindableLocalPort(_ port: Int) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw HarnessError("cannot bind a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
