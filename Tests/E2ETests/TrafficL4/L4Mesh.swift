import Foundation
import MeshTestSupport
import Testing

/// A small mesh for L4 traffic: meshd, a `client` pod and two `db` pods (v1, v2) with sidecars, and a `legacy`
/// pod without a sidecar that no Kubernetes Service names, reached only through ServiceEntries.
///
/// The db pods run `tcp_name_server.py` on 7000 and 7001 (each connection is answered with `<pod> <port>`); the
/// legacy pod runs the echo backend on 8080 and the TCP name server on 7100. One mesh serves the whole
/// `TrafficTCPTests` suite (see `L4MeshScope`).
final class L4Mesh: @unchecked Sendable {
    static let dbVIP = "10.96.0.30"
    static let legacyHTTPVIP = "10.96.0.50"
    static let legacyTCPVIP = "10.96.0.51"
    static let legacyHTTPHost = "legacy.mesh.test"
    static let legacyTCPHost = "legacy-tcp.mesh.test"
    static let routesFile = "db-virtualservice.yaml"

    @TaskLocal static var current: L4Mesh?

    let meshd: MeshdProcess
    let client: Sidecar
    let legacy: Pod
    private let lock = NSLock()
    /// The db VirtualService in the routes file (and in force).
    private var routes = L4Config.portRoutes

    private init(meshd: MeshdProcess, client: Sidecar, legacy: Pod) {
        self.meshd = meshd
        self.client = client
        self.legacy = legacy
    }

    static func require() throws -> L4Mesh {
        guard let current else { throw HarnessError("no L4 mesh: the suite needs the .l4Mesh trait") }
        return current
    }

    static func start(in network: MeshNetwork) async throws -> L4Mesh {
        let client = try network.addPod(name: "client", labels: ["app": "client"], serviceAccount: "client")
        let dbV1 = try network.addPod(name: "db-v1", labels: ["app": "db", "version": "v1"], serviceAccount: "db")
        let dbV2 = try network.addPod(name: "db-v2", labels: ["app": "db", "version": "v2"], serviceAccount: "db")
        let legacy = try network.addPod(name: "legacy", labels: ["app": "legacy"])
        try legacy.removeInterception()
        let meshd = try await MeshdProcess.start(
            in: network,
            configFiles: [
                "db.yaml": L4Config.dbServiceAndSubsets,
                "workloads.yaml": Pod.workloadEntries([client, dbV1, dbV2]),
                "legacy.yaml": L4Config.legacyServiceEntries(legacyIP: legacy.ip),
                routesFile: L4Config.portRoutes,
            ])
        for pod in [dbV1, dbV2] { try await pod.startTCPNameServer(ports: [7000, 7001]) }
        try await legacy.startTCPNameServer(ports: [7100])
        try await legacy.startEchoServer(service: "legacy", port: 8080)
        var sidecars: [Sidecar] = []
        for pod in [client, dbV1, dbV2] {
            sidecars.append(try pod.startSidecar(bootstrapJSON: meshd.bootstrap(for: pod)))
        }
        for sidecar in sidecars { try await sidecar.waitUntilReady() }
        guard let clientSidecar = sidecars.first else { throw HarnessError("client sidecar missing") }
        let mesh = L4Mesh(meshd: meshd, client: clientSidecar, legacy: legacy)
        _ = try await Poll.until("the client's first TCP connections to reach db", timeout: .seconds(20)) {
            let summary = try await mesh.connect(port: 7000, count: 3, maxSeconds: 5)
            return summary.ok == 3 ? summary : nil
        }
        return mesh
    }

    /// Opens at most `count` TCP connections from the client pod to `address:port` (the db VIP by default).
    func connect(
        address: String = dbVIP, port: Int, count: Int, maxSeconds: Double = 20
    ) async throws
        -> TCPSummary
    {
        try await client.pod.openTCPConnections(address: address, port: port, count: count, maxSeconds: maxSeconds)
    }

    /// Replaces the db VirtualService and returns once the client's Envoy runs new listeners (at once when it is
    /// already the one in force).
    func applyRoutes(_ yaml: String) async throws {
        if lock.withLock({ routes == yaml }) { return }
        let before = try client.configDump().listenersVersion
        try meshd.writeConfig(Self.routesFile, yaml)
        lock.withLock { routes = yaml }
        _ = try await Poll.until(
            "the client's Envoy to run new listeners after a VirtualService edit", timeout: .seconds(10)
        ) {
            let version = try client.configDump().listenersVersion
            return version != nil && version != before ? true : nil
        }
    }
}

/// Builds the L4 mesh before the suite's first test and tears it down after its last, on failure too.
struct L4MeshScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await MeshNetwork.with(label: "l4") { network in
            let mesh = try await L4Mesh.start(in: network)
            try await L4Mesh.$current.withValue(mesh) { try await function() }
        }
    }
}

extension Trait where Self == L4MeshScope {
    /// The suite's tests share one running L4 mesh (`L4Mesh.require()`).
    static var l4Mesh: Self { Self() }
}

/// What `tcp_client.py` printed: how many connections answered, and with which `<pod> <port>` line.
struct TCPSummary: Decodable, Sendable, CustomStringConvertible {
    var sent: Int
    var ok: Int
    var names: [String: Int]
    var errors: [String: Int]
    var elapsed: Double

    func share(of name: String) -> Double { ok == 0 ? 0 : Double(names[name, default: 0]) / Double(ok) }

    var description: String {
        "sent \(sent), ok \(ok), names \(names.sorted { $0.key < $1.key }), errors \(errors), \(elapsed)s"
    }
}

extension Pod {
    private static var scripts: URL { RepositoryPaths.root.appendingPathComponent("Scripts/testdata") }
    private static var python: String {
        FileManager.default.isExecutableFile(atPath: RepositoryPaths.venvPython)
            ? RepositoryPaths.venvPython : "python3"
    }

    /// Starts `tcp_name_server.py` on `ports`, answering as this pod, and waits (bounded) until it accepts.
    func startTCPNameServer(ports: [Int]) async throws {
        let process = try start(
            [Self.python, Self.scripts.appendingPathComponent("tcp_name_server.py").path, "--name", name]
                + ports.flatMap { ["--port", "\($0)"] },
            logName: "tcp-name-server")
        guard let first = ports.first else { return }
        _ = try await Poll.until("tcp name server on \(name):\(first)", timeout: .seconds(10)) { () -> Bool? in
            try process.checkRunning()
            // 127.0.0.1 from a non-proxy uid is not intercepted, so this reaches the server directly.
            let summary = try await self.openTCPConnections(address: "127.0.0.1", port: first, count: 1, maxSeconds: 2)
            return summary.ok == 1 ? true : nil
        }
    }

    /// Opens at most `count` connections to `address:port` from inside this pod, subject to its interception.
    func openTCPConnections(address: String, port: Int, count: Int, maxSeconds: Double) async throws -> TCPSummary {
        let argv = [
            Self.python, Self.scripts.appendingPathComponent("tcp_client.py").path, "--address", address,
            "--port", "\(port)", "--count", "\(count)", "--max-seconds", "\(maxSeconds)", "--timeout", "3",
        ]
        let result = try await execInBackground(argv, timeout: .seconds(Int(maxSeconds) + 15))
        guard result.succeeded else {
            throw HarnessError("tcp client in \(name) exited with \(result.status): \(result.stderr)")
        }
        do {
            return try JSONDecoder().decode(TCPSummary.self, from: Data(result.stdout.utf8))
        } catch {
            throw HarnessError("tcp client in \(name) printed no summary: \(result.stdout) \(result.stderr)")
        }
    }
}
