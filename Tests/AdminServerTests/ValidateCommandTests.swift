import Foundation
import MeshTestSupport
import Testing

/// `meshd validate` run as a user runs it: the built binary on files in a temporary directory.
@Suite("meshd validate")
struct ValidateCommandTests {
    /// A fresh directory holding `files`, removed after `body`.
    static func withDirectory(_ files: [String: String], _ body: (URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-validate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("nested"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, yaml) in files {
            try yaml.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try await body(directory)
    }

    @Test("valid input exits 0 and counts the objects of every file, nested directories included")
    func validInput() async throws {
        try await Self.withDirectory([
            "reviews.yaml": OpsConfig.service, "nested/vs.yaml": OpsConfig.virtualService(to: "v1"),
        ]) { directory in
            let result = try await InProcessMeshd.cli(["validate", directory.path])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout == "5 objects valid, 0 errors, 0 warnings\n")
        }
    }

    @Test("invalid input exits 1 and prints each error as file:line: Kind/ns/name: field.path: reason")
    func invalidInput() async throws {
        let malformed =
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: broken\n  namespace: default\nspec:\n  ports: [\n"
        try await Self.withDirectory([
            "reviews.yaml": OpsConfig.service, "bad-vs.yaml": OpsConfig.zeroWeightSplit, "broken.yaml": malformed,
        ]) {
            directory in
            let result = try await InProcessMeshd.cli(["validate", directory.path])
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            let vsFile = directory.appendingPathComponent("bad-vs.yaml").path
            #expect(
                lines.contains(
                    "\(vsFile):10: VirtualService/default/reviews: spec.http[0].route: total destination weight = 0"),
                "\(lines)")
            let brokenFile = directory.appendingPathComponent("broken.yaml").path
            #expect(lines.contains { $0.hasPrefix("\(brokenFile):") && $0.contains("YAML does not parse") }, "\(lines)")
            #expect(lines.last == "4 objects valid, 2 errors, 0 warnings", "\(lines)")
        }
    }

    @Test("a single file is validated on its own; a missing path is an error")
    func singleFileAndMissingPath() async throws {
        try await Self.withDirectory(["vs.yaml": OpsConfig.zeroWeightSplit]) { directory in
            let file = directory.appendingPathComponent("vs.yaml").path
            let result = try await InProcessMeshd.cli(["validate", file])
            #expect(result.status == 1)
            #expect(
                result.stdout.hasPrefix("\(file):10: VirtualService/default/reviews: spec.http[0].route: "),
                "\(result.stdout)")
            let missing = try await InProcessMeshd.cli(["validate", directory.appendingPathComponent("nope").path])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("no such file or directory"), "\(missing.stderr)")
        }
    }

    /// Issue 12 item 10: a Latin-1 file used to exit 64 with the usage text.
    @Test("a file that is not UTF-8 exits 1 with an error naming the file, line and byte offset")
    func notUTF8() async throws {
        try await Self.withDirectory([:]) { directory in
            let file = directory.appendingPathComponent("latin1.yaml")
            let head = Array("apiVersion: v1\nkind: Service\nmetadata:\n  name: caf".utf8)
            try Data(head + [0xE9, 0x0A]).write(to: file)
            let result = try await InProcessMeshd.cli(["validate", file.path])
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            #expect(
                result.stdout.contains(
                    "\(file.path):4: not UTF-8 text: invalid byte 0xE9 at byte offset \(head.count) (line 4)"),
                "\(result.stdout)")
            #expect(!result.stderr.contains("USAGE"), "\(result.stderr)")
        }
    }

    /// Issue 12 item 3: weights 9223372036854775807 and 1 overflowed the sum and the binary died with SIGILL.
    @Test("weights that overflowed the sum are an error, not a crash")
    func overflowingWeights() async throws {
        let yaml = OpsConfig.zeroWeightSplit
            .replacingOccurrences(
                of: "weight: 0\n    - destination", with: "weight: 9223372036854775807\n    - destination"
            )
            .replacingOccurrences(of: "weight: 0", with: "weight: 1")
        try await Self.withDirectory(["vs.yaml": yaml]) { directory in
            let file = directory.appendingPathComponent("vs.yaml").path
            let result = try await InProcessMeshd.cli(["validate", file])
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            #expect(
                result.stdout.hasPrefix(
                    "\(file):14: VirtualService/default/reviews: spec.http[0].route[0].weight: 9223372036854775807 does not fit in an int32"
                ),
                "\(result.stdout)")
        }
    }

    /// Issue 12 item 7: a 1.9 KB alias bomb took about 40 s to validate.
    @Test("an alias bomb is refused with an error naming the file")
    func aliasBomb() async throws {
        var lines = [
            "apiVersion: v1", "kind: Service", "metadata: {name: bomb, namespace: default}", "spec:", "  selector:",
            "    a0: &a0 lol",
        ]
        for level in 1..<9 {
            lines.append(
                "    a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", "))]")
        }
        try await Self.withDirectory(["bomb.yaml": lines.joined(separator: "\n")]) { directory in
            let file = directory.appendingPathComponent("bomb.yaml").path
            let result = try await InProcessMeshd.cli(["validate", directory.path])
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("\(file):11: aliases expand to more than 10000 nodes"), "\(result.stdout)")
        }
    }
}
