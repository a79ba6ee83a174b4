import Foundation
import Logging
import MeshModel
import Registry
import Testing

@Suite("FileSource")
struct FileSourceTests {
    /// A fresh directory under the system temporary directory, removed by the caller.
    func makeDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-filesource-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Polls `condition` every 50 ms for at most `seconds`.
    func eventually(within seconds: Double = 3, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    @Test("a file that is not UTF-8 is refused with its byte offset and line, as meshd validate FILE says it")
    func notUTF8NamesTheByteOffset() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var bytes = Array("apiVersion: v1\nkind: Service\n".utf8)
        bytes += [0x6E, 0x61, 0xE9, 0x0A]  // "na\u{E9}" in Latin-1: byte 0xE9 at offset 31, line 3
        try Data(bytes).write(to: directory.appendingPathComponent("latin1.yaml"))
        let store = ConfigStore()
        try FileSource(directory: directory.path, store: store, logger: Logger(label: "test")).loadOnce()
        let messages = store.diagnostics().map(\.description)
        #expect(
            messages.contains { $0.contains("latin1.yaml") && $0.contains("byte offset 31") && $0.contains("0xE9") },
            "\(messages)")
    }

    @Test func loadOnceThrowsForAMissingDirectory() {
        let source = FileSource(
            directory: "/nonexistent/meshd-\(UUID().uuidString)", store: ConfigStore(), logger: Logger(label: "test"))
        #expect(throws: (any Error).self) { try source.loadOnce() }
    }

    @Test func picksUpEditsNewFilesAndDeletions() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let nested = directory.appendingPathComponent("nested")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let web = directory.appendingPathComponent("web.yaml")
        try serviceYAML("web", port: 80).write(to: web, atomically: true, encoding: .utf8)
        try "not: [config".write(to: directory.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)

        let store = ConfigStore()
        let source = FileSource(
            directory: directory.path, store: store, pollInterval: .milliseconds(50), logger: Logger(label: "test"))
        try source.loadOnce()
        #expect(store.port(of: "web") == 80)
        #expect(store.diagnostics().isEmpty)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            try serviceYAML("web", port: 8080).write(to: web, atomically: true, encoding: .utf8)
            #expect(try await eventually { store.port(of: "web") == 8080 })

            let api = nested.appendingPathComponent("api.yml")
            try serviceYAML("api", port: 81).write(to: api, atomically: true, encoding: .utf8)
            #expect(try await eventually { store.port(of: "api") == 81 })

            try FileManager.default.removeItem(at: web)
            #expect(try await eventually { store.port(of: "web") == nil })
            group.cancelAll()
        }
    }
}
