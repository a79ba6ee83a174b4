import Foundation
import Logging
import MeshModel
import Synchronization

@testable import Registry

#if canImport(Glibc)
    import Glibc
#endif

/// The real file system, with failures and side effects injected per call: what a process out of descriptors, a
/// flaky disk or a kubelet swapping `..data` mid-scan does to a scan. Thread-safe.
final class FaultyFileSystem: ScanFileSystem {
    /// One injected failure: calls named `operation` on paths with this prefix fail with `code`.
    struct Fault: Sendable {
        var operation: String
        var pathPrefix: String
        var code: Int32
    }

    private let real = POSIXFileSystem()
    private let faults = Mutex<[Fault]>([])
    private let hooks = Mutex<[String: @Sendable () -> Void]>([:])
    private let calls = Mutex<[String: Int]>([:])

    /// Makes `operation` (`opendir`, `stat`, `open`) fail on `prefix` with `code` until `clear()`.
    func fail(_ operation: String, under prefix: String, with code: Int32) {
        faults.withLock { $0.append(Fault(operation: operation, pathPrefix: prefix, code: code)) }
    }

    func clear() {
        faults.withLock { $0.removeAll() }
    }

    /// Runs `action` once, just before the next `stat` of `path` (the scan is then between two files).
    func beforeStatus(of path: String, _ action: @escaping @Sendable () -> Void) {
        hooks.withLock { $0[path] = action }
    }

    /// How many failures were injected so far.
    var injected: Int { calls.withLock { $0["injected", default: 0] } }

    private func check(_ operation: String, _ path: String) throws(FileSystemError) {
        let fault = faults.withLock { faults in
            faults.first { $0.operation == operation && path.hasPrefix($0.pathPrefix) }
        }
        if let fault {
            calls.withLock { $0["injected", default: 0] += 1 }
            throw FileSystemError(operation: operation, path: path, code: fault.code)
        }
    }

    func entries(of directory: String) throws(FileSystemError) -> [DirectoryEntry] {
        try check("opendir", directory)
        return try real.entries(of: directory)
    }

    func status(of path: String) throws(FileSystemError) -> FileStatus {
        if let hook = hooks.withLock({ $0.removeValue(forKey: path) }) { hook() }
        try check("stat", path)
        return try real.status(of: path)
    }

    func contents(of path: String) throws(FileSystemError) -> Data {
        try check("open", path)
        return try real.contents(of: path)
    }

    func linkTarget(of path: String) throws(FileSystemError) -> String {
        try check("readlink", path)
        return try real.linkTarget(of: path)
    }
}

/// A fresh directory for one test, removed when the value is dropped by `remove()`.
struct ScratchDirectory {
    let url: URL

    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }

    func write(_ relative: String, _ text: String) throws {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: target, atomically: true, encoding: .utf8)
    }

    func delete(_ relative: String) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent(relative))
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Every snapshot a store publishes, recorded in order from a task of the caller's group.
final class SnapshotRecorder: Sendable {
    private let recorded = Mutex<[MeshSnapshot]>([])

    var snapshots: [MeshSnapshot] { recorded.withLock { $0 } }

    /// Records until the task is cancelled.
    func record(_ store: ConfigStore) async {
        for await snapshot in store.snapshots() {
            recorded.withLock { $0.append(snapshot) }
        }
    }
}

extension MeshSnapshot {
    /// `Kind/namespace/name` of every object in force.
    var keys: Set<String> { Set(objects.keys.map(\.description)) }
}

/// Checks `condition` every 10 ms for at most 20 s; the bound only stops a broken source from hanging a test.
func waitFor(_ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Options with a poll that never fires within a test, so that only inotify, held removals and retries wake scans.
func testOptions(quietPeriod: Duration = .seconds(1)) -> FileSource.Options {
    var options = FileSource.Options()
    options.pollInterval = .seconds(3600)
    options.quietPeriod = quietPeriod
    options.retryDelay = .milliseconds(50)
    return options
}
