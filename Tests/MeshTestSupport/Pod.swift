public import Foundation

/// A Kubernetes pod modelled as a network namespace: `eth0` on the mesh network, Istio's interception rules,
/// and whatever processes the test starts in it (a sidecar Envoy, a backend, a client).
///
/// Thread-safe. Processes started here belong to the pod's `MeshNetwork` and are stopped at its teardown.
public final class Pod: @unchecked Sendable {
    /// The pod name, as in `metadata.name`.
    public let name: String
    public let namespace: String
    /// The pod IP on `eth0` (`status.podIP`).
    public let ip: String
    public let labels: [String: String]
    public let serviceAccount: String
    /// The network namespace (`ip netns` name).
    public let netns: String
    /// Where this pod's logs, bootstrap and rules are written; mode 0777 so Envoy (uid 1337) can write too.
    public let directory: URL
    /// The network's scratch directory (`/tmp/<prefix>`), which uid 1337 can always reach.
    let scratchDirectory: URL
    private weak var network: MeshNetwork?

    init(
        name: String, namespace: String, ip: String, labels: [String: String], serviceAccount: String,
        netns: String, directory: URL, network: MeshNetwork
    ) {
        self.name = name
        self.namespace = namespace
        self.ip = ip
        self.labels = labels
        self.serviceAccount = serviceAccount
        self.netns = netns
        self.directory = directory
        self.scratchDirectory = network.scratchDirectory
        self.network = network
    }

    /// Istio's node id for this pod's sidecar: `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`.
    public var nodeID: String { "sidecar~\(ip)~\(name).\(namespace)~\(namespace).svc.cluster.local" }

    /// Runs a short command inside the pod and waits for it.
    public func exec(_ argv: [String], timeout: Duration = .seconds(30)) throws -> SubprocessResult {
        try Subprocess.run(["ip", "netns", "exec", netns] + argv, timeout: timeout)
    }

    /// Runs a command inside the pod on a thread of its own (for commands that take seconds).
    public func execInBackground(_ argv: [String], timeout: Duration = .seconds(60)) async throws -> SubprocessResult {
        try await Subprocess.runInBackground(["ip", "netns", "exec", netns] + argv, timeout: timeout)
    }

    /// GETs `http://127.0.0.1:<port><path>` from inside the pod (Envoy admin, or the app itself).
    public func localGet(port: Int, path: String, timeout: Int = 5) throws -> HTTPResponse {
        try HTTPProbe.get("http://127.0.0.1:\(port)\(path)", inNetns: netns, timeout: timeout)
    }

    /// Starts a long-running process inside the pod, logging to `<directory>/<logName>.log`, and hands it to the
    /// network so that teardown stops it.
    public func start(_ argv: [String], logName: String) throws -> ManagedProcess {
        guard let network else { throw HarnessError("pod \(name) outlived its network") }
        let process = try ManagedProcess.start(
            name: "\(logName) in pod \(name)", argv: ["ip", "netns", "exec", netns] + argv,
            logFile: directory.appendingPathComponent("\(logName).log"))
        network.track(process)
        return process
    }
}
