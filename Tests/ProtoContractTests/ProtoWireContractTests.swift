import Foundation
import MeshTestSupport
import Testing

/// The wire contract of `Protos/`: every message, field and enum value must match the public Envoy xDS API, and
/// `Protos/etcd/` etcd's v3 API.
///
/// The comparison itself lives in `Scripts/check-proto-wire.py`, which compiles our files with protoc and
/// compares them with the descriptors in the `xds-protos` and `etcd3` packages installed in `.venv` by `Scripts/test`.
@Suite("Proto wire contract", .tags(.python))
struct ProtoWireContractTests {
    private static let script = RepositoryPaths.root.appendingPathComponent("Scripts/check-proto-wire.py").path
    private static let protosDirectory = RepositoryPaths.root.appendingPathComponent("Protos")

    @Test("Protos/ matches the upstream xDS descriptors")
    func protosMatchUpstream() throws {
        let python = try Self.requireVenvPython()
        let result = try Subprocess.run([python, Self.script, "--protos-dir", Self.protosDirectory.path])
        #expect(result.succeeded, "check-proto-wire.py found differences:\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("no differences"), "unexpected output:\n\(result.stdout)")
    }

    @Test("a changed field number is reported by name")
    func changedFieldNumberIsReported() throws {
        let python = try Self.requireVenvPython()
        let copy = try Self.copyOfProtos()
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }

        let listener = copy.appendingPathComponent("envoy/config/listener/v3/listener.proto")
        let original = try String(contentsOf: listener, encoding: .utf8)
        let broken = original.replacingOccurrences(of: "string name = 1;", with: "string name = 99;")
        try #require(broken != original, "listener.proto no longer declares `string name = 1;`; update this test")
        try broken.write(to: listener, atomically: true, encoding: .utf8)

        let result = try Subprocess.run([python, Self.script, "--protos-dir", copy.path])
        #expect(result.status == 1, "expected exit 1, got \(result.status):\n\(result.stdout)\(result.stderr)")
        #expect(
            result.stdout.contains("envoy.config.listener.v3.Listener.name: number 99 here, 1 upstream"),
            "the difference is not named in the output:\n\(result.stdout)\(result.stderr)"
        )
    }

    @Test("a changed etcd field number or enum value is reported by name")
    func changedEtcdNumberIsReported() throws {
        let python = try Self.requireVenvPython()
        let copy = try Self.copyOfProtos()
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }

        let rpc = copy.appendingPathComponent("etcd/etcdserverpb/rpc.proto")
        let original = try String(contentsOf: rpc, encoding: .utf8)
        var broken = original.replacingOccurrences(
            of: "int64 compact_revision = 5;", with: "int64 compact_revision = 7;")
        broken = broken.replacingOccurrences(of: "    NOT_EQUAL = 3;", with: "    NOT_EQUAL = 4;")
        try #require(broken != original, "rpc.proto no longer declares the fields this test edits; update this test")
        try broken.write(to: rpc, atomically: true, encoding: .utf8)

        let result = try Subprocess.run([python, Self.script, "--protos-dir", copy.path])
        #expect(result.status == 1, "expected exit 1, got \(result.status):\n\(result.stdout)\(result.stderr)")
        #expect(
            result.stdout.contains("etcdserverpb.WatchResponse.compact_revision: number 7 here, 5 upstream"),
            "the difference is not named in the output:\n\(result.stdout)\(result.stderr)")
        #expect(
            result.stdout.contains("etcdserverpb.Compare.CompareResult.NOT_EQUAL: number 4 here, 3 upstream"),
            "the difference is not named in the output:\n\(result.stdout)\(result.stderr)")
    }

    /// The venv's python, or a failure telling the reader how to create it. Never a skip: a contract
    /// test that silently does not run protects nothing.
    private static func requireVenvPython() throws -> String {
        let python = RepositoryPaths.venvPython
        try #require(
            FileManager.default.isExecutableFile(atPath: python),
            "\(python) is missing: run Scripts/test to create .venv with xds-protos and etcd3"
        )
        return python
    }

    /// Copies Protos/ into a fresh temporary folder; the caller deletes the copy's parent folder.
    private static func copyOfProtos() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("meshd-protos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let copy = directory.appendingPathComponent("Protos")
        // Resolve first: copying a symlinked Protos/ would copy the link, and the edit would hit the original.
        try FileManager.default.copyItem(at: protosDirectory.resolvingSymlinksInPath(), to: copy)
        return copy
    }
}
