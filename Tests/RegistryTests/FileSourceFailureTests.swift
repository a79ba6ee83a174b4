import Foundation
import Logging
import MeshModel
import Testing

@testable import Registry

#if canImport(Glibc)
    import Glibc
#endif

/// An I/O error is never a deletion: with failures injected into the scan's file-system calls, nothing the scan
/// could not read leaves the store, and edits made during or after the failure still apply. The quiet period is
/// zero here, so an error mistaken for an absence would remove the file at once.
@Suite("FileSource read failures")
struct FileSourceFailureTests {
    let directory: ScratchDirectory
    let fileSystem = FaultyFileSystem()
    let store = ConfigStore()
    let source: FileSource

    init() throws {
        directory = try ScratchDirectory("failures")
        try directory.write("web.yaml", serviceYAML("web", port: 80))
        try directory.write("team/api.yaml", serviceYAML("api", port: 81))
        try directory.write("team/deep/db.yaml", serviceYAML("db", port: 82))
        source = FileSource(
            directory: directory.path, store: store, options: testOptions(quietPeriod: .zero), metrics: nil,
            logger: Logger(label: "test"), fileSystem: fileSystem, decode: { ConfigDecoder.decode(yaml: $0, file: $1) })
        try source.loadOnce()
    }

    var names: [String] { store.objects().map(\.key.name) }

    @Test func outOfDescriptorsForTheDirectoryKeepsEverything() async throws {
        defer { directory.remove() }
        fileSystem.fail("opendir", under: directory.path, with: EMFILE)
        try directory.write("web.yaml", serviceYAML("web", port: 8080))
        let before = store.snapshot().version
        await #expect(throws: DirectoryScanner.ScanError.self) { _ = try await source.scanOnce() }
        #expect(store.snapshot().version == before)
        #expect(names == ["api", "db", "web"])
        #expect(fileSystem.injected > 0)

        // The retry after the failure clears reads the edit; nothing was lost on the way.
        fileSystem.clear()
        _ = try await source.scanOnce()
        #expect(store.port(of: "web") == 8080)
        #expect(names == ["api", "db", "web"])
    }

    @Test func aSubdirectoryThatCannotBeListedKeepsItsFilesWhileOthersApply() async throws {
        defer { directory.remove() }
        fileSystem.fail("opendir", under: directory.path("team"), with: ENFILE)
        try directory.write("web.yaml", serviceYAML("web", port: 8080))
        _ = try await source.scanOnce()
        #expect(store.port(of: "web") == 8080)
        #expect(store.port(of: "api") == 81 && store.port(of: "db") == 82)

        // Once listable again, a deletion made meanwhile is a confirmed absence and applies.
        try directory.delete("team/deep")
        fileSystem.clear()
        _ = try await source.scanOnce()
        #expect(names == ["api", "web"])
    }

    @Test func filesThatCannotBeStatOrOpenedKeepTheirObjectsAndAreReadAgain() async throws {
        defer { directory.remove() }
        fileSystem.fail("stat", under: directory.path("team/api.yaml"), with: EIO)
        fileSystem.fail("open", under: directory.path("team/deep/db.yaml"), with: EMFILE)
        try directory.write("team/api.yaml", serviceYAML("api", port: 9081))
        try directory.write("team/deep/db.yaml", serviceYAML("db", port: 9082))
        try directory.write("web.yaml", serviceYAML("web", port: 8080))
        let next = try await source.scanOnce()
        #expect(next != nil, "a failed read schedules a retry")
        #expect(store.port(of: "web") == 8080)
        #expect(store.port(of: "api") == 81 && store.port(of: "db") == 82)
        #expect(store.diagnostics().isEmpty, "a transient failure is not a configuration error")

        fileSystem.clear()
        _ = try await source.scanOnce()
        #expect(store.port(of: "api") == 9081 && store.port(of: "db") == 9082)
    }

    /// Permission denied lasts until an operator fixes it: it is reported on the file, and the file's objects stay.
    @Test func permissionDeniedIsADiagnosticNotARemoval() async throws {
        defer { directory.remove() }
        fileSystem.fail("open", under: directory.path("web.yaml"), with: EACCES)
        try directory.write("web.yaml", serviceYAML("web", port: 8080))
        _ = try await source.scanOnce()
        #expect(store.port(of: "web") == 80)
        let diagnostic = try #require(store.diagnostics().first)
        #expect(diagnostic.file == directory.path("web.yaml"))
        #expect(diagnostic.reason.contains("Permission denied"))
    }

    /// The configured directory missing is not "every file removed" either.
    @Test func aMissingDirectoryKeepsTheLastGoodConfiguration() async throws {
        defer { directory.remove() }
        let moved = directory.path + "-moved"
        #expect(rename(directory.path, moved) == 0)
        defer { try? FileManager.default.removeItem(atPath: moved) }
        await #expect(throws: DirectoryScanner.ScanError.self) { _ = try await source.scanOnce() }
        #expect(names == ["api", "db", "web"])
        #expect(rename(moved, directory.path) == 0)
        try directory.write("web.yaml", serviceYAML("web", port: 8080))
        _ = try await source.scanOnce()
        #expect(store.port(of: "web") == 8080 && names == ["api", "db", "web"])
    }

    /// The running source retries on its own after a failure, without a poll or an inotify event to wake it.
    @Test(.timeLimit(.minutes(1)))
    func theRunningSourceRetriesAFailedScan() async throws {
        defer { directory.remove() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            fileSystem.fail("opendir", under: directory.path, with: EMFILE)
            group.addTask { try await source.run() }
            try directory.write("web.yaml", serviceYAML("web", port: 8080))
            #expect(try await waitFor { fileSystem.injected >= 2 })
            #expect(store.port(of: "web") == 80 && names == ["api", "db", "web"])
            fileSystem.clear()
            #expect(try await waitFor { store.port(of: "web") == 8080 })
            #expect(names == ["api", "db", "web"])
            group.cancelAll()
        }
    }
}
