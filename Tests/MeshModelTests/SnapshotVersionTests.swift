import Foundation
import Logging
import MeshModel
@testable import Registry
import Testing

/// The snapshot version is a hash over each object's content hash: it must still move when any field moves.
@Suite("MeshSnapshot version")
struct SnapshotVersionTests {
    func rule(warmup: Duration, subsetLabel: String = "v2") -> MeshResource {
        .destinationRule(DestinationRule(
            meta: ObjectMeta(name: "reviews", namespace: "bookinfo"), host: "reviews",
            subsets: [
                Subset(name: "v1", labels: ["version": "v1"]),
                Subset(
                    name: "v2", labels: ["version": subsetLabel],
                    trafficPolicy: TrafficPolicy(loadBalancer: LoadBalancerSettings(simple: .roundRobin, warmupDuration: warmup))),
            ]))
    }

    @Test func aChangeDeepInsideOneObjectChangesTheVersion() {
        let base = MeshSnapshot.build(from: objects([rule(warmup: .seconds(10)), pod("p", ip: "10.0.0.1", labels: [:])]))
        // subsets[1].trafficPolicy.loadBalancer.warmupDurationSecs: four levels down, inside an array and an optional.
        let deeper = MeshSnapshot.build(from: objects([rule(warmup: .seconds(20)), pod("p", ip: "10.0.0.1", labels: [:])]))
        #expect(deeper.version != base.version)
        // subsets[1].labels: a dictionary value inside an array.
        let relabelled = MeshSnapshot.build(from: objects([
            rule(warmup: .seconds(10), subsetLabel: "v3"), pod("p", ip: "10.0.0.1", labels: [:]),
        ]))
        #expect(relabelled.version != base.version)
        #expect(Set([base.version, deeper.version, relabelled.version]).count == 3)
        let same = MeshSnapshot.build(from: objects([rule(warmup: .seconds(10)), pod("p", ip: "10.0.0.1", labels: [:])]))
        #expect(same.version == base.version)
    }

    @Test func contentHashIgnoresWhereTheObjectWasRead() {
        let here = ConfigObject(resource: rule(warmup: .seconds(1)), source: MeshModel.SourceLocation(file: "a.yaml", document: 1))
        let there = ConfigObject(resource: rule(warmup: .seconds(1)), source: MeshModel.SourceLocation(file: "b.yaml", document: 3))
        #expect(HashedConfigObject(here).contentHash == HashedConfigObject(there).contentHash)
        // Re-storing an unchanged resource from a new place keeps the hash and takes the new source.
        let moved = HashedConfigObject(here).replaced(by: there)
        #expect(moved.object.source.file == "b.yaml")
        #expect(moved.contentHash == HashedConfigObject(there).contentHash)
        let edited = ConfigObject(resource: rule(warmup: .seconds(2)), source: here.source)
        #expect(HashedConfigObject(here).replaced(by: edited).contentHash != HashedConfigObject(here).contentHash)
    }

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
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-batch-\(UUID().uuidString)")
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
