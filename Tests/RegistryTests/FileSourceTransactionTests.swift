import Foundation
import Logging
import MeshModel
import Testing

@testable import Registry

#if canImport(Glibc)
    import Glibc
#endif

/// A directory update is one transaction: a file that vanishes and comes back, a rewrite with identical content, a
/// file caught half-written and a ConfigMap `..data` swap never publish a snapshot that lacks an object existing
/// before and after.
@Suite("FileSource transactions")
struct FileSourceTransactionTests {
    static let reviews = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews}
        spec: {ports: [{name: http, port: 9080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews, subset: v1}

        """

    /// The objects that exist before and after every operation below.
    static let lasting: Set<String> = [
        "Service/default/reviews", "DestinationRule/default/reviews", "VirtualService/default/reviews",
        "Service/default/ratings", "Service/default/details",
    ]

    // MARK: - The scanner's quiet period, step by step

    @Test func aVanishedFileIsRemovedOnlyAfterStayingGoneThroughTheQuietPeriod() throws {
        let directory = try ScratchDirectory("quiet")
        defer { directory.remove() }
        try directory.write("web.yaml", serviceYAML("web"))
        let scanner = DirectoryScanner(directory: directory.path, quietPeriod: .seconds(5))
        let start = ContinuousClock.now
        #expect(try scanner.scan(at: start).changes.count == 1)

        // Gone, and back with the same content within the quiet period: no change at all.
        try directory.delete("web.yaml")
        let missing = try scanner.scan(at: start + .seconds(1))
        #expect(missing.changes.isEmpty)
        #expect(missing.nextCheck == start + .seconds(6))
        try directory.write("web.yaml", serviceYAML("web"))
        #expect(try scanner.scan(at: start + .seconds(2)).changes.isEmpty)

        // Gone for good: reported once the quiet period has passed since it was first missed.
        try directory.delete("web.yaml")
        #expect(try scanner.scan(at: start + .seconds(3)).changes.isEmpty)
        #expect(try scanner.scan(at: start + .seconds(7)).changes.isEmpty)
        let removed = try scanner.scan(at: start + .seconds(8))
        #expect(removed.changes == [.removed(path: directory.path("web.yaml"))])
    }

    // MARK: - Objects gone from a file that is still there

    @Test func objectsMissingFromAFileAreHeldThroughTheQuietPeriod() async throws {
        let directory = try ScratchDirectory("held")
        defer { directory.remove() }
        try directory.write("mesh.yaml", serviceYAML("web") + "---\n" + serviceYAML("api"))
        let store = ConfigStore()
        let source = FileSource(
            directory: directory.path, store: store, options: testOptions(quietPeriod: .milliseconds(300)),
            metrics: nil,
            logger: Logger(label: "test"))
        try source.loadOnce()
        let before = store.snapshot().version

        // Caught empty, as a scan can catch a file that git has created and not yet written.
        try directory.write("mesh.yaml", "")
        _ = try await source.scanOnce()
        #expect(store.snapshot().version == before)
        try directory.write("mesh.yaml", serviceYAML("web") + "---\n" + serviceYAML("api"))
        _ = try await source.scanOnce()
        #expect(store.snapshot().version == before, "the same objects again: no new snapshot")

        // A real removal of one document applies once it has stayed away through the quiet period.
        try directory.write("mesh.yaml", serviceYAML("web"))
        let due = try #require(try await source.scanOnce())
        #expect(store.objects().map(\.key.name) == ["api", "web"])
        try await Task.sleep(until: due, clock: .continuous)
        _ = try await source.scanOnce()
        #expect(store.objects().map(\.key.name) == ["web"])
    }

    // MARK: - Real git operations, raced by scans

    /// `git checkout HEAD -- .` rewrites every file (unlink, create, write) with identical content, and restores
    /// deleted ones. Scans run back to back while git works, so some of them see files missing or empty: no
    /// snapshot may lack an object, and none is published at all.
    @Test(.timeLimit(.minutes(2)))
    func gitCheckoutOfIdenticalContentPublishesNothing() async throws {
        let repository = try ScratchDirectory("git-checkout")
        defer { repository.remove() }
        try writeMesh(into: repository)
        try git(["init", "-q"], in: repository)
        try git(["add", "."], in: repository)
        try git(["commit", "-q", "-m", "mesh"], in: repository)

        try await racing(repository) { store, recorder, scanWhile in
            for round in 0..<8 {
                if round % 2 == 1 {
                    // An operator's `rm`, then a restore: the files vanish for a moment.
                    try repository.delete("reviews.yaml")
                    try repository.delete("team/ratings.yaml")
                }
                try await scanWhile(["checkout", "HEAD", "--", "."])
            }
            // A sentinel edit after the checkouts: the snapshot that carries it must be the next one published.
            try repository.write("sentinel.yaml", serviceYAML("sentinel"))
            try await scanWhile(["status", "--short"])
            #expect(try await waitFor { recorder.snapshots.last?.keys.contains("Service/default/sentinel") == true })
            let published = recorder.snapshots.count
            #expect(published == 2, "only the first snapshot and the sentinel's: \(published) were published")
            #expect(store.port(of: "sentinel") != nil)
        }
    }

    /// `git pull` brings commits that edit one file, add one and rewrite another, with scans racing it: every
    /// snapshot keeps the objects that exist before and after, and the pulled content arrives.
    @Test(.timeLimit(.minutes(2)))
    func gitPullNeverPublishesASnapshotWithoutLastingObjects() async throws {
        let (upstream, clone) = try cloneOfMesh(upstream: "git-upstream", clone: "git-clone")
        defer {
            upstream.remove()
            clone.remove()
        }

        try await racing(clone) { store, _, scanWhile in
            for round in 1...4 {
                try upstream.write(
                    "reviews.yaml",
                    Self.reviews.replacingOccurrences(of: "subset: v1", with: "subset: v\(round % 2 + 1)"))
                try upstream.write("team/ratings.yaml", serviceYAML("ratings", port: 9080 + round))
                try upstream.write("team/new-\(round).yaml", serviceYAML("new-\(round)"))
                try git(["add", "."], in: upstream)
                try git(["commit", "-q", "-m", "round \(round)"], in: upstream)
                try await scanWhile(["pull", "-q", "--ff-only"])
                #expect(store.port(of: "ratings") == 9080 + round)
                #expect(store.port(of: "new-\(round)") != nil)
            }
        }
    }

    /// The file source *with its watcher*, as `meshd serve` runs it, under a `git checkout` and a `git pull`.
    @Test(.timeLimit(.minutes(2)))
    func theWatchingSourceKeepsEveryObjectThroughGit() async throws {
        let (upstream, clone) = try cloneOfMesh(upstream: "git-watched-upstream", clone: "git-watched")
        defer {
            upstream.remove()
            clone.remove()
        }
        let store = ConfigStore()
        let source = FileSource(
            directory: clone.path, store: store, options: testOptions(quietPeriod: .seconds(5)), metrics: nil,
            logger: Logger(label: "test"))
        try source.loadOnce()
        let recorder = SnapshotRecorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await recorder.record(store) }
            group.addTask { try await source.run() }
            try #require(try await waitFor { !recorder.snapshots.isEmpty })
            for _ in 0..<3 { try git(["checkout", "HEAD", "--", "."], in: clone) }
            try upstream.write("team/ratings.yaml", serviceYAML("ratings", port: 9999))
            try git(["commit", "-q", "-am", "ratings"], in: upstream)
            try git(["pull", "-q", "--ff-only"], in: clone)
            #expect(try await waitFor { store.port(of: "ratings") == 9999 })
            group.cancelAll()
        }
        try expectLasting(in: recorder)
    }

    // MARK: - A ConfigMap volume

    /// The kubelet swaps `..data` while a scan is between two files. Both files of a generation agree (alpha and
    /// beta have the same port); a scan that mixed generations would publish them disagreeing.
    @Test(.timeLimit(.minutes(1)))
    func aDataSwapMidScanIsReadAsOneGeneration() async throws {
        let volume = try ScratchDirectory("configmap")
        defer { volume.remove() }
        func writeGeneration(_ generation: Int) throws {
            try volume.write("..gen\(generation)/a.yaml", serviceYAML("alpha", port: generation))
            try volume.write("..gen\(generation)/b.yaml", serviceYAML("beta", port: generation))
        }
        try writeGeneration(1)
        try FileManager.default.createSymbolicLink(atPath: volume.path("..data"), withDestinationPath: "..gen1")
        for name in ["a.yaml", "b.yaml"] {
            try FileManager.default.createSymbolicLink(atPath: volume.path(name), withDestinationPath: "..data/\(name)")
        }
        let fileSystem = FaultyFileSystem()
        let store = ConfigStore()
        let source = FileSource(
            directory: volume.path, store: store, options: testOptions(), metrics: nil, logger: Logger(label: "test"),
            fileSystem: fileSystem, decode: { ConfigDecoder.decode(yaml: $0, file: $1) })
        try source.loadOnce()
        let recorder = SnapshotRecorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await recorder.record(store) }
            for generation in 2...4 {
                try writeGeneration(generation)
                // The kubelet's swap, run by the scan itself just before it looks at b.yaml (after a.yaml).
                let volumePath = volume.path
                fileSystem.beforeStatus(of: volume.path("..gen\(generation - 1)/b.yaml")) {
                    try? FileManager.default.createSymbolicLink(
                        atPath: volumePath + "/..data_tmp", withDestinationPath: "..gen\(generation)")
                    _ = rename(volumePath + "/..data_tmp", volumePath + "/..data")
                    try? FileManager.default.removeItem(atPath: volumePath + "/..gen\(generation - 1)")
                }
                for _ in 0..<20 where store.port(of: "alpha") != generation { _ = try await source.scanOnce() }
                #expect(store.port(of: "alpha") == generation && store.port(of: "beta") == generation)
            }
            group.cancelAll()
        }
        for snapshot in recorder.snapshots {
            let alpha = snapshot.servicesByHostname["alpha.default.svc.cluster.local"]?.ports.first?.port
            let beta = snapshot.servicesByHostname["beta.default.svc.cluster.local"]?.ports.first?.port
            #expect(
                alpha == beta,
                "a snapshot mixed two ConfigMap generations: alpha \(String(describing: alpha)), beta \(String(describing: beta))"
            )
        }
    }

    // MARK: - Helpers

    /// A repository holding the mesh in one commit, and a clone of it.
    func cloneOfMesh(
        upstream upstreamName: String, clone cloneName: String
    ) throws -> (ScratchDirectory, ScratchDirectory) {
        let upstream = try ScratchDirectory(upstreamName)
        let clone = try ScratchDirectory(cloneName)
        try writeMesh(into: upstream)
        try git(["init", "-q"], in: upstream)
        try git(["add", "."], in: upstream)
        try git(["commit", "-q", "-m", "mesh"], in: upstream)
        try git(["clone", "-q", upstream.path, clone.path], in: upstream)
        return (upstream, clone)
    }

    func writeMesh(into directory: ScratchDirectory) throws {
        try directory.write("reviews.yaml", Self.reviews)
        try directory.write("team/ratings.yaml", serviceYAML("ratings", port: 9080))
        try directory.write("details.yaml", serviceYAML("details", port: 9080))
    }

    /// A file source on `directory` whose scans the test drives: `body` gets a function that runs git with the
    /// given arguments and scans back to back until git exits, then once more. Every snapshot is recorded, and
    /// each must hold every lasting object.
    func racing(
        _ directory: ScratchDirectory,
        _ body: (ConfigStore, SnapshotRecorder, (_ gitArguments: [String]) async throws -> Void) async throws -> Void
    ) async throws {
        let store = ConfigStore()
        let source = FileSource(
            directory: directory.path, store: store, options: testOptions(quietPeriod: .seconds(5)), metrics: nil,
            logger: Logger(label: "test"))
        try source.loadOnce()
        try #require(Self.lasting.isSubset(of: store.snapshot().keys))
        let recorder = SnapshotRecorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await recorder.record(store) }
            try #require(try await waitFor { !recorder.snapshots.isEmpty })
            try await body(store, recorder) { arguments in
                let process = try startGit(arguments, in: directory)
                while process.isRunning { _ = try await source.scanOnce() }
                #expect(process.terminationStatus == 0, "git \(arguments.joined(separator: " "))")
                _ = try await source.scanOnce()
            }
            group.cancelAll()
        }
        try expectLasting(in: recorder)
    }

    func expectLasting(in recorder: SnapshotRecorder) throws {
        for (index, snapshot) in recorder.snapshots.enumerated() {
            let missing = Self.lasting.subtracting(snapshot.keys)
            #expect(missing.isEmpty, "snapshot \(index) lacks \(missing.sorted())")
        }
    }

    func startGit(_ arguments: [String], in directory: ScratchDirectory) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments =
            ["-c", "user.name=meshd-test", "-c", "user.email=test@meshd.invalid", "-C", directory.path]
            + arguments
        try process.run()
        return process
    }

    func git(_ arguments: [String], in directory: ScratchDirectory) throws {
        let process = try startGit(arguments, in: directory)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FileSourceTestError("git \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }
}

struct FileSourceTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
