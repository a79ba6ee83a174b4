import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Remembers which test process owns which network namespaces and root-namespace processes, and removes what
/// a crashed run left behind.
///
/// Every `MeshNetwork` claims its prefix (`msh` + random id) in a small owner file before it creates anything.
/// A later run deletes a namespace with the prefix only when its owner process is gone, so two test processes
/// running side by side never tear down each other's pods.
enum NamespaceJanitor {
    /// The common start of every namespace the harness creates.
    static let namePrefix = "msh"
    static let ownersDirectory = URL(fileURLWithPath: "/tmp/meshd-e2e-owners")

    /// Records that this process owns `prefix`.
    static func claim(_ prefix: String) throws {
        try FileManager.default.createDirectory(at: ownersDirectory, withIntermediateDirectories: true)
        try "\(getpid())\n".write(to: ownerFile(prefix), atomically: true, encoding: .utf8)
    }

    /// Records a root-namespace process (meshd) started for `prefix`, so a later run can stop it after a crash.
    static func recordProcess(_ pid: Int32, executable: String, for prefix: String) {
        let line = "\(pid) \(executable)\n"
        if let handle = try? FileHandle(forWritingTo: processesFile(prefix)) {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: Data(line.utf8))
            try? handle.close()
        } else {
            try? line.write(to: processesFile(prefix), atomically: true, encoding: .utf8)
        }
    }

    /// Forgets `prefix` after its network was torn down.
    static func release(_ prefix: String) {
        try? FileManager.default.removeItem(at: ownerFile(prefix))
        try? FileManager.default.removeItem(at: processesFile(prefix))
    }

    /// Runs `sweep()` once per test process, before the first network is created.
    static let sweepOnce: Void = sweep()

    /// Deletes every `msh*` namespace whose owner has exited, after killing the processes still inside it, and
    /// stops the meshd processes such owners recorded.
    static func sweep() {
        for prefix in stalePrefixes() {
            for line in (try? String(contentsOf: processesFile(prefix), encoding: .utf8))?.split(separator: "\n") ?? []
            {
                let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
                guard fields.count == 2, let pid = Int32(fields[0]), commandLine(of: pid).contains(fields[1]) else {
                    continue
                }
                kill(pid, SIGKILL)
            }
            for netns in namespaces() where netns.hasPrefix(prefix) {
                deleteNamespace(netns)
            }
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: "/tmp/\(prefix)"))
            release(prefix)
        }
    }

    /// Kills whatever still runs inside `netns` and deletes it (with the veths in it).
    static func deleteNamespace(_ netns: String) {
        let pids = (try? Subprocess.run(["ip", "netns", "pids", netns], timeout: .seconds(10)))?.stdout ?? ""
        for pid in pids.split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) {
            kill(pid, SIGKILL)
        }
        _ = try? Subprocess.run(["ip", "netns", "delete", netns], timeout: .seconds(10))
    }

    /// The names of all network namespaces on the machine.
    static func namespaces() -> [String] {
        let listing = (try? Subprocess.run(["ip", "netns", "list"], timeout: .seconds(10)))?.stdout ?? ""
        return listing.split(whereSeparator: \.isNewline).compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// Prefixes of `msh*` namespaces, or of owner records, whose owner process no longer runs.
    private static func stalePrefixes() -> Set<String> {
        var prefixes = Set(
            namespaces().filter { $0.hasPrefix(namePrefix) }.map { String($0.prefix(MeshNetwork.prefixLength)) })
        let records = (try? FileManager.default.contentsOfDirectory(atPath: ownersDirectory.path)) ?? []
        prefixes.formUnion(records.filter { $0.hasSuffix(".owner") }.map { String($0.dropLast(".owner".count)) })
        return prefixes.filter { prefix in
            guard let owner = try? String(contentsOf: ownerFile(prefix), encoding: .utf8),
                let pid = Int32(owner.trimmingCharacters(in: .whitespacesAndNewlines))
            else { return true }
            return pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
        }
    }

    private static func commandLine(of pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    private static func ownerFile(_ prefix: String) -> URL { ownersDirectory.appendingPathComponent("\(prefix).owner") }
    private static func processesFile(_ prefix: String) -> URL {
        ownersDirectory.appendingPathComponent("\(prefix).processes")
    }
}
