import Foundation
import Logging
import MeshModel
import Testing

@testable import Registry

/// The store's snapshot version, kept from stored content hashes, is the one a fresh build gives. (Moved from
/// MeshModelTests' `SnapshotVersionTests`, whose pure version tests stay there.)
@Suite("MeshSnapshot version in the store")
struct StoredSnapshotVersionTests {
    @Test func storedHashesGiveTheSameVersionAsAFreshBuild() {
        let store = ConfigStore()
        store.load("a.yaml", serviceYAML("web", port: 80) + "---\n" + serviceYAML("api", port: 81))
        store.load("b.yaml", serviceYAML("db", port: 5432))
        #expect(store.snapshot().version == MeshSnapshot.build(from: store.objects()).version)
        // Reloading a.yaml with one object edited: the version follows, and still equals a fresh build's.
        let before = store.snapshot().version
        store.load("a.yaml", serviceYAML("web", port: 80) + "---\n" + serviceYAML("api", port: 82))
        #expect(store.snapshot().version != before)
        #expect(store.snapshot().version == MeshSnapshot.build(from: store.objects()).version)
        store.load("a.yaml", serviceYAML("web", port: 80) + "---\n" + serviceYAML("api", port: 81))
        #expect(store.snapshot().version == before)
    }
}

@Suite("Snapshot builds per load")
struct SnapshotBatchingTests {
    @Test func theInitialDirectoryScanBuildsOneSnapshot() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for index in 0..<5 {
            try serviceYAML("svc-\(index)").write(
                to: directory.appendingPathComponent("svc-\(index).yaml"), atomically: true, encoding: .utf8)
        }
        let store = ConfigStore()
        let builds = store.state.withLock { $0.builds }
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        // No quiet period: the deletion below counts in the same load (removals otherwise wait; see FileSourceTransactionTests).
        var options = FileSource.Options()
        options.quietPeriod = .zero
        let source = FileSource(directory: directory.path, store: store, options: options, metrics: nil, logger: quiet)
        try source.loadOnce()
        #expect(store.objects().count == 5)
        #expect(store.state.withLock { $0.builds } == builds + 1)
        // A burst between two polls (two edits and a deletion) is one more build.
        try serviceYAML("svc-0", port: 81).write(
            to: directory.appendingPathComponent("svc-0.yaml"), atomically: true, encoding: .utf8)
        try serviceYAML("svc-1", port: 82).write(
            to: directory.appendingPathComponent("svc-1.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("svc-4.yaml"))
        try source.loadOnce()
        #expect(store.state.withLock { $0.builds } == builds + 2)
        #expect(store.objects().map(\.key.name) == ["svc-0", "svc-1", "svc-2", "svc-3"])
        #expect(store.port(of: "svc-1") == 82)
        // Nothing changed: no build at all.
        try source.loadOnce()
        #expect(store.state.withLock { $0.builds } == builds + 2)
    }
}
