import EtcdClient
import Foundation
import MeshTestSupport

/// A real etcd (Debian's `etcd-server`) started by a test as a plain process: its own temporary data directory,
/// client and peer URLs on free 127.0.0.1 ports, stopped (and its directory removed) by `stop()`.
///
/// etcd listens on two client ports: `clientPort`, which the code under test is given, and `testPort`, which only the
/// test uses. `restart(reachable: false)` brings etcd back on `testPort` alone, so a test can write and compact while
/// the source cannot reach etcd, then `restart()` lets it in again: the gap is the test's, not a race.
/// `kill()` and `restart()` keep the data directory, so the same store comes back.
final class EtcdServer: @unchecked Sendable {
    let directory: URL
    let clientPort: Int
    let testPort: Int
    let peerPort: Int
    private(set) var process: ManagedProcess
    private var generation = 0
    /// With TLS: the client certificate, key and CA every connection uses (etcd runs with --client-cert-auth).
    private(set) var tls: EtcdConnection.TLS?
    private var scheme: String { tls == nil ? "http" : "https" }

    var endpoint: EtcdEndpoint { EtcdEndpoint(host: .ipv4("127.0.0.1"), port: clientPort, usesTLS: tls != nil) }
    /// The URL the code under test is given.
    var url: String { "\(scheme)://127.0.0.1:\(clientPort)" }

    /// A connection to `clientPort` with short timeouts: what the code under test gets.
    func connection(credentials: EtcdConnection.Credentials? = nil) -> EtcdConnection {
        EtcdConnection(
            endpoints: [endpoint], tls: tls ?? EtcdConnection.TLS(), credentials: credentials,
            requestTimeout: .seconds(3))
    }

    /// A connection to `testPort`, which stays reachable while the code under test is locked out.
    func testConnection(credentials: EtcdConnection.Credentials? = nil) -> EtcdConnection {
        EtcdConnection(
            endpoints: [EtcdEndpoint(host: .ipv4("127.0.0.1"), port: testPort, usesTLS: tls != nil)],
            tls: tls ?? EtcdConnection.TLS(), credentials: credentials, requestTimeout: .seconds(3))
    }

    /// Runs `body` with a session on the test's port.
    func withSession<Result: Sendable>(_ body: (EtcdSession) async throws -> Result) async throws -> Result {
        try await EtcdClient.withSession(testConnection(), body)
    }

    private init(directory: URL, clientPort: Int, testPort: Int, peerPort: Int, process: ManagedProcess) {
        self.directory = directory
        self.clientPort = clientPort
        self.testPort = testPort
        self.peerPort = peerPort
        self.process = process
    }

    static let binary = "/usr/bin/etcd"

    /// Starts etcd and waits (bounded) until it answers a read. With `tls` (server certificate, key and the CA of
    /// the client certificates), etcd serves https only and requires a client certificate; `clientTLS` is what
    /// the test's connections present.
    static func start(
        extraArguments: [String] = [], tls: (certificate: String, key: String, ca: String)? = nil,
        clientTLS: EtcdConnection.TLS? = nil
    ) async throws -> EtcdServer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HarnessError("\(binary) is missing: run Scripts/test, which installs Debian's etcd-server")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var ports: Set<Int> = []
        while ports.count < 3 { ports.insert(try MeshdProcess.freeLocalPort()) }
        let sorted = ports.sorted()
        let (clientPort, testPort, peerPort) = (sorted[0], sorted[1], sorted[2])
        var arguments = extraArguments
        if let tls {
            arguments += [
                "--cert-file", tls.certificate, "--key-file", tls.key, "--trusted-ca-file", tls.ca,
                "--client-cert-auth",
            ]
        }
        let process = try launch(
            directory: directory, clientPorts: [clientPort, testPort], peerPort: peerPort, generation: 0,
            extraArguments: arguments, scheme: tls == nil ? "http" : "https")
        let server = EtcdServer(
            directory: directory, clientPort: clientPort, testPort: testPort, peerPort: peerPort, process: process)
        server.extraArguments = arguments
        server.tls = tls == nil ? nil : clientTLS
        try await server.waitUntilServing()
        return server
    }

    private var extraArguments: [String] = []

    private static func launch(
        directory: URL, clientPorts: [Int], peerPort: Int, generation: Int, extraArguments: [String],
        scheme: String = "http"
    ) throws -> ManagedProcess {
        let listen = clientPorts.map { "\(scheme)://127.0.0.1:\($0)" }.joined(separator: ",")
        let client = "\(scheme)://127.0.0.1:\(clientPorts.last ?? 0)"
        let peer = "http://127.0.0.1:\(peerPort)"
        return try ManagedProcess.start(
            name: "etcd",
            argv: [
                binary, "--name", "meshd-test", "--data-dir", directory.appendingPathComponent("data").path,
                "--listen-client-urls", listen, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "meshd-test=\(peer)", "--initial-cluster-state", "new",
            ] + extraArguments,
            logFile: directory.appendingPathComponent("etcd-\(generation).log"))
    }

    /// Polls until etcd answers a read on the test's port (at most 30 s).
    func waitUntilServing() async throws {
        let connection = testConnection()
        let process = self.process
        _ = try await Poll.until("etcd on \(url) to serve", timeout: .seconds(30), interval: .milliseconds(200)) {
            try process.checkRunning()
            return try await EtcdClient.withSession(connection) { try await $0.currentRevision() }
        }
    }

    /// SIGKILLs etcd, keeping its data.
    func kill() {
        process.stop(grace: .zero)
    }

    /// Starts etcd again on the same data, and waits until it serves. With `reachable: false` it listens on the
    /// test's port only: the code under test cannot reach it.
    func restart(reachable: Bool = true) async throws {
        process.stop()
        generation += 1
        process = try Self.launch(
            directory: directory, clientPorts: reachable ? [clientPort, testPort] : [testPort], peerPort: peerPort,
            generation: generation, extraArguments: extraArguments, scheme: scheme)
        try await waitUntilServing()
    }

    /// Stops etcd and removes its data directory.
    func stop() {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
