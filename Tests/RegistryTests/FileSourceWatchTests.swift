import Foundation
import Logging
import MeshModel
import Testing

@testable import Registry

#if os(Linux)
    import Glibc

    /// `FileSource.run()` with a poll that never fires within the test, so every change it picks up after the first
    /// scan was woken by inotify.
    @Suite("FileSource inotify wake-up")
    struct FileSourceWatchTests {
        let directory: URL
        let store = ConfigStore()

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "meshd-watch-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try serviceYAML("ready", port: 80).write(to: url("ready.yaml"), atomically: true, encoding: .utf8)
        }

        func url(_ relative: String) -> URL {
            directory.appendingPathComponent(relative)
        }

        /// Runs the source in a child task, waits for its first scan, runs `body`, then cancels the source.
        func whileRunning(_ body: () async throws -> Void) async throws {
            defer { try? FileManager.default.removeItem(at: directory) }
            let source = FileSource(
                directory: directory.path, store: store, pollInterval: .seconds(3600), logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await source.run() }
                try #require(try await eventually { store.port(of: "ready") == 80 })
                try await body()
                group.cancelAll()
            }
        }

        /// Checks `condition` every 20 ms for at most 10 s. The bound only stops a broken watcher from hanging the test.
        func eventually(_ condition: () -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if condition() { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return condition()
        }

        @Test(.timeLimit(.minutes(1)))
        func newAndEditedFilesAreReadWithoutWaitingForThePoll() async throws {
            try await whileRunning {
                // Written to a temporary name and renamed: IN_MOVED_TO.
                try serviceYAML("web", port: 8080).write(to: url("web.yaml"), atomically: true, encoding: .utf8)
                #expect(try await eventually { store.port(of: "web") == 8080 })
                // Rewritten in place: IN_CLOSE_WRITE.
                try serviceYAML("ready", port: 81).write(to: url("ready.yaml"), atomically: false, encoding: .utf8)
                #expect(try await eventually { store.port(of: "ready") == 81 })
            }
        }

        @Test(.timeLimit(.minutes(1)))
        func filesInDirectoriesMadeAfterTheStartAreRead() async throws {
            try await whileRunning {
                try FileManager.default.createDirectory(at: url("team/payments"), withIntermediateDirectories: true)
                try serviceYAML("api", port: 9090).write(
                    to: url("team/payments/api.yml"), atomically: false, encoding: .utf8)
                #expect(try await eventually { store.port(of: "api") == 9090 })
                try serviceYAML("ledger", port: 9091).write(
                    to: url("team/ledger.yaml"), atomically: true, encoding: .utf8)
                #expect(try await eventually { store.port(of: "ledger") == 9091 })
            }
        }

        @Test(.timeLimit(.minutes(1)))
        func removedFilesAreDropped() async throws {
            try await whileRunning {
                try FileManager.default.removeItem(at: url("ready.yaml"))
                #expect(try await eventually { store.port(of: "ready") == nil })
            }
        }

        /// A ConfigMap volume: visible files link through `..data`, which the kubelet swaps by renaming a new link over
        /// it. Nothing visible is written, only the hidden link is replaced.
        @Test(.timeLimit(.minutes(1)))
        func configMapDataSwapIsRead() async throws {
            let fileManager = FileManager.default
            try fileManager.createDirectory(at: url("..2024_01"), withIntermediateDirectories: true)
            try serviceYAML("mounted", port: 80).write(
                to: url("..2024_01/mounted.yaml"), atomically: true, encoding: .utf8)
            try fileManager.createSymbolicLink(atPath: url("..data").path, withDestinationPath: "..2024_01")
            try fileManager.createSymbolicLink(
                atPath: url("mounted.yaml").path, withDestinationPath: "..data/mounted.yaml")
            try await whileRunning {
                #expect(store.port(of: "mounted") == 80)
                try fileManager.createDirectory(at: url("..2024_02"), withIntermediateDirectories: true)
                try serviceYAML("mounted", port: 8443).write(
                    to: url("..2024_02/mounted.yaml"), atomically: true, encoding: .utf8)
                try fileManager.createSymbolicLink(atPath: url("..data_tmp").path, withDestinationPath: "..2024_02")
                #expect(rename(url("..data_tmp").path, url("..data").path) == 0)
                try fileManager.removeItem(at: url("..2024_01"))
                #expect(try await eventually { store.port(of: "mounted") == 8443 })
            }
        }

        /// `run()` returns on cancellation, which it does only after the watcher thread has closed its descriptors.
        @Test(.timeLimit(.minutes(1)))
        func runEndsWhenCancelled() async throws {
            defer { try? FileManager.default.removeItem(at: directory) }
            let source = FileSource(
                directory: directory.path, store: store, pollInterval: .seconds(3600), logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await source.run() }
                #expect(try await eventually { store.port(of: "ready") == 80 })
                group.cancelAll()
                try await group.waitForAll()
            }
        }
    }
#endif

/// Reading inotify records: what the kernel hands over is external input and must never trap.
@Suite("FileSource inotify records")
struct InotifyEventTests {
    /// One record as the kernel lays it out, the name NUL-padded to `paddedLength`.
    func record(watch: Int32, mask: UInt32, name: String, paddedLength: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: watch) { bytes += $0 }
        withUnsafeBytes(of: mask) { bytes += $0 }
        withUnsafeBytes(of: UInt32(0)) { bytes += $0 }
        withUnsafeBytes(of: UInt32(paddedLength)) { bytes += $0 }
        let name = Array(name.utf8)
        return bytes + name + Array(repeating: 0, count: paddedLength - name.count)
    }

    @Test func decodesConsecutiveRecords() {
        let bytes =
            record(watch: 1, mask: 0x100, name: "web.yaml", paddedLength: 16)
            + record(watch: 2, mask: 0x400, name: "", paddedLength: 0)
        let events = bytes.withUnsafeBytes { InotifyEvent.parse($0) }
        #expect(
            events == [
                InotifyEvent(watch: 1, mask: 0x100, name: "web.yaml"), InotifyEvent(watch: 2, mask: 0x400, name: ""),
            ])
    }

    @Test func stopsAtARecordThatRunsPastTheEnd() {
        let whole = record(watch: 1, mask: 0x8, name: "a.yaml", paddedLength: 8)
        var truncated = record(watch: 2, mask: 0x8, name: "b.yaml", paddedLength: 8)
        truncated.removeLast(3)
        let lying = record(watch: 3, mask: 0x8, name: "", paddedLength: 0).dropLast(4) + [0xFF, 0xFF, 0xFF, 0xFF]
        #expect((whole + truncated).withUnsafeBytes { InotifyEvent.parse($0) }.map(\.watch) == [1])
        #expect((whole + lying).withUnsafeBytes { InotifyEvent.parse($0) }.map(\.watch) == [1])
        #expect((whole + [1, 2, 3]).withUnsafeBytes { InotifyEvent.parse($0) }.map(\.watch) == [1])
    }
}
