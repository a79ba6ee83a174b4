import Dispatch
import Foundation
import Logging
import MeshModel
import Synchronization
import Testing

@testable import Registry

/// A decoder that blocks on files marked `# slow` until released: a stand-in for a file that takes 75 s to decode.
final class GatedDecoder: Sendable {
    private let gate = DispatchSemaphore(value: 0)
    private let started = Mutex<[String]>([])

    /// Files whose slow decode has begun.
    var blocked: [String] { started.withLock { $0 } }

    func decode(_ yaml: String, _ file: String) -> DecodeResult {
        if yaml.contains("# slow") {
            started.withLock { $0.append(file) }
            gate.wait()
        }
        return ConfigDecoder.decode(yaml: yaml, file: file)
    }

    /// Lets every blocked decode (and one more per call) finish.
    func release(_ count: Int = 1) {
        for _ in 0..<count { gate.signal() }
    }
}

/// One slow file must not stall other files' changes, and the backlog it leaves must be visible.
@Suite("FileSource decode backlog")
struct FileSourceBacklogTests {
    @Test(.timeLimit(.minutes(1)))
    func aSlowFileDoesNotHoldUpAnUnrelatedEdit() async throws {
        let directory = try ScratchDirectory("backlog")
        defer { directory.remove() }
        try directory.write("web.yaml", serviceYAML("web", port: 80))
        let decoder = GatedDecoder()
        var options = testOptions()
        options.slowDecodeAfter = .milliseconds(20)
        let store = ConfigStore()
        let source = FileSource(
            directory: directory.path, store: store, options: options, metrics: nil, logger: Logger(label: "test"),
            fileSystem: POSIXFileSystem(), decode: decoder.decode)
        try source.loadOnce()
        #expect(source.backlog().isEmpty)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            try directory.write("huge.yaml", "# slow\n" + serviceYAML("huge", port: 70))
            #expect(try await waitFor { decoder.blocked.count == 1 })
            // A second slow file, more than this machine's cores are busy: still no stall for the others.
            try directory.write("labels.yaml", "# slow\n" + serviceYAML("labels", port: 71))
            #expect(try await waitFor { decoder.blocked.count == 2 })
            try directory.write("web.yaml", serviceYAML("web", port: 8080))

            // The edit arrives while both are still decoding, and the backlog names the older one.
            #expect(try await waitFor { store.port(of: "web") == 8080 })
            #expect(store.port(of: "huge") == nil && store.port(of: "labels") == nil)
            let backlog = source.backlog()
            #expect(backlog.files == 2)
            #expect(backlog.oldestFile == directory.path("huge.yaml"))

            decoder.release(2)
            #expect(try await waitFor { store.port(of: "huge") == 70 && store.port(of: "labels") == 71 })
            #expect(source.backlog().isEmpty)
            #expect(store.port(of: "web") == 8080)
            group.cancelAll()
        }
    }

    /// A slow decode overtaken by a newer read of the same file is dropped when it finishes at last: the newer
    /// content stays in force.
    @Test(.timeLimit(.minutes(1)))
    func aSupersededSlowDecodeIsDropped() async throws {
        let directory = try ScratchDirectory("superseded")
        defer { directory.remove() }
        let decoder = GatedDecoder()
        var options = testOptions()
        options.slowDecodeAfter = .milliseconds(20)
        let store = ConfigStore()
        let source = FileSource(
            directory: directory.path, store: store, options: options, metrics: nil, logger: Logger(label: "test"),
            fileSystem: POSIXFileSystem(), decode: decoder.decode)
        try source.loadOnce()

        try directory.write("api.yaml", "# slow\n" + serviceYAML("api", port: 1))
        _ = try await source.scanOnce()
        #expect(try await waitFor { decoder.blocked.count == 1 })
        try directory.write("api.yaml", serviceYAML("api", port: 2))
        _ = try await source.scanOnce()
        #expect(store.port(of: "api") == 2)

        decoder.release()
        #expect(try await waitFor { source.backlog().isEmpty })
        #expect(store.port(of: "api") == 2)
    }

    /// The scan's own batch still waits for quick decodes: files read together are applied together.
    @Test func filesReadTogetherAreAppliedInOneSnapshot() async throws {
        let directory = try ScratchDirectory("together")
        defer { directory.remove() }
        var options = testOptions()
        options.slowDecodeAfter = .seconds(60)
        let store = ConfigStore()
        let source = FileSource(
            directory: directory.path, store: store, options: options, metrics: nil, logger: Logger(label: "test"))
        try source.loadOnce()
        let recorder = SnapshotRecorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await recorder.record(store) }
            #expect(try await waitFor { recorder.snapshots.count == 1 })
            for index in 0..<20 { try directory.write("svc-\(index).yaml", serviceYAML("svc-\(index)")) }
            _ = try await source.scanOnce()
            #expect(try await waitFor { recorder.snapshots.count == 2 })
            #expect(recorder.snapshots.last?.servicesByHostname.count == 20)
            group.cancelAll()
        }
    }
}
