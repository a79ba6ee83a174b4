public import Foundation
import MeshModel

/// A small Kubernetes node for one test: a hub network namespace holding a Linux bridge, and pods, each a
/// network namespace whose `eth0` is a veth into that bridge, with Istio's sidecar interception installed.
///
/// Nothing is created in the root namespace: the veth pairs are made directly between the hub and the pods,
/// so deleting the namespaces removes every link. Pod addresses (`10.44.0.0/24`) exist only inside them.
///
/// Teardown always runs when the network is used through `with(label:_:)`; it stops every process the network
/// tracks (Envoys, backends, meshd) and deletes the namespaces. Namespaces left by a crashed test process are
/// removed when the next one creates its first network (see `NamespaceJanitor`).
///
/// Thread-safe.
public final class MeshNetwork: @unchecked Sendable {
    static let prefixLength = 8  // "msh" + 5 hex digits
    public static let subnet = "10.44.0"
    public static var gateway: String { "\(subnet).1" }

    /// `msh` + a random id: the start of every namespace and interface name of this network.
    public let prefix: String
    public let hubNetns: String
    /// Logs, bootstraps and iptables rules of every pod: `<repo>/test-output/e2e/<label>-<prefix>/`.
    public let outputDirectory: URL
    /// Short-path scratch space readable by uid 1337 (`/tmp/<prefix>`): meshd's config dir and xDS socket.
    public let scratchDirectory: URL

    private let lock = NSLock()
    private var pods: [Pod] = []
    private var nextPodIndex = 0
    private var processes: [ManagedProcess] = []
    private var tornDown = false

    private var bridge: String { "\(prefix)br" }

    private init(label: String) throws {
        NamespaceJanitor.sweepOnce
        Self.pruneOutputsOnce
        let existing = NamespaceJanitor.namespaces()
        var prefix: String
        repeat {
            prefix = NamespaceJanitor.namePrefix + String(UInt32.random(in: 0..<(1 << 20)), radix: 16).leftPadded(to: 5)
        } while existing.contains { $0.hasPrefix(prefix) }
        self.prefix = prefix
        hubNetns = "\(prefix)-hub"
        outputDirectory = Self.outputsRoot.appendingPathComponent("\(label)-\(prefix)")
        scratchDirectory = URL(fileURLWithPath: "/tmp/\(prefix)")
        try NamespaceJanitor.claim(prefix)
        try Self.makeDirectory(outputDirectory, mode: 0o755)
        try Self.makeDirectory(scratchDirectory, mode: 0o755)
    }

    /// Creates a network, runs `body`, and tears the network down whether `body` returns or throws.
    public static func with<T>(label: String, _ body: (MeshNetwork) async throws -> T) async throws -> T {
        let network = try MeshNetwork(label: label)
        do {
            try network.createHub()
            let result = try await body(network)
            network.tearDown()
            return result
        } catch {
            network.tearDown()
            throw error
        }
    }

    /// Adds a pod named `name` with the next free address, its `lo` and `eth0` up, a default route through the
    /// hub, and Istio's interception rules. Its directory (0777, for Envoy as uid 1337) is under the output.
    public func addPod(
        name: String, namespace: String = "default", labels: [String: String] = [:],
        serviceAccount: String = "default"
    ) throws -> Pod {
        let index = lock.withLock {
            defer { nextPodIndex += 1 }
            return nextPodIndex
        }
        let ip = "\(Self.subnet).\(10 + index)"
        let netns = "\(prefix)-\(name)"
        let hostSide = "\(prefix)p\(index)"
        let directory = outputDirectory.appendingPathComponent(name)
        try Self.makeDirectory(directory, mode: 0o777)
        let pod = Pod(
            name: name, namespace: namespace, ip: ip, labels: labels, serviceAccount: serviceAccount,
            netns: netns, directory: directory, network: self)
        lock.withLock { pods.append(pod) }

        try Subprocess.check(["ip", "netns", "add", netns])
        try Subprocess.check(["ip", "-n", netns, "link", "set", "lo", "up"])
        try Subprocess.check([
            "ip", "-n", hubNetns, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", netns,
        ])
        try Subprocess.check(["ip", "-n", hubNetns, "link", "set", hostSide, "master", bridge, "up"])
        try Subprocess.check(["ip", "-n", netns, "addr", "add", "\(ip)/24", "dev", "eth0"])
        try Subprocess.check(["ip", "-n", netns, "link", "set", "eth0", "up"])
        try Subprocess.check(["ip", "-n", netns, "route", "add", "default", "via", Self.gateway, "dev", "eth0"])
        let rules = directory.appendingPathComponent("iptables.rules")
        try SidecarInterception.rules().write(to: rules, atomically: true, encoding: .utf8)
        try Subprocess.check(["ip", "netns", "exec", netns, "iptables-restore", rules.path])
        return pod
    }

    /// Makes `process` part of this network's life: teardown stops it.
    public func track(_ process: ManagedProcess) {
        lock.withLock { processes.append(process) }
    }

    /// Stops every tracked process and deletes every namespace. Idempotent; never throws.
    public func tearDown() {
        let (processes, pods) = lock.withLock { () -> ([ManagedProcess], [Pod]) in
            defer { tornDown = true }
            return tornDown ? ([], []) : (self.processes, self.pods)
        }
        ManagedProcess.stopAll(processes)
        for pod in pods { NamespaceJanitor.deleteNamespace(pod.netns) }
        NamespaceJanitor.deleteNamespace(hubNetns)
        try? FileManager.default.removeItem(at: scratchDirectory)
        NamespaceJanitor.release(prefix)
    }

    /// The names of all network namespaces on the machine (`ip netns list`).
    public static func namespacesOnMachine() -> [String] {
        NamespaceJanitor.namespaces()
    }

    /// The names of this network's namespaces that still exist (empty after teardown).
    public func remainingNamespaces() -> [String] {
        NamespaceJanitor.namespaces().filter { $0.hasPrefix(prefix) }
    }

    private func createHub() throws {
        try Subprocess.check(["ip", "netns", "add", hubNetns])
        try Subprocess.check(["ip", "-n", hubNetns, "link", "set", "lo", "up"])
        try Subprocess.check(["ip", "-n", hubNetns, "link", "add", bridge, "type", "bridge"])
        try Subprocess.check(["ip", "-n", hubNetns, "addr", "add", "\(Self.gateway)/24", "dev", bridge])
        try Subprocess.check(["ip", "-n", hubNetns, "link", "set", bridge, "up"])
    }

    /// Where every network's output directory goes.
    static var outputsRoot: URL { RepositoryPaths.root.appendingPathComponent("test-output/e2e") }

    /// Keeps the outputs of the 20 most recent networks, once per test process, so logs of a failed run stay
    /// around for a while without piling up.
    private static let pruneOutputsOnce: Void = {
        let fileManager = FileManager.default
        let entries =
            (try? fileManager.contentsOfDirectory(
                at: outputsRoot, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
        let newestFirst = entries.sorted {
            let first =
                (try? $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            let second =
                (try? $1.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            return first > second
        }
        for old in newestFirst.dropFirst(20) { try? fileManager.removeItem(at: old) }
    }()

    private static func makeDirectory(_ url: URL, mode: Int) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
