import EtcdClient
import Foundation
import MeshTestSupport
import Registry
import Testing

/// `meshd apply -f` and `meshd delete -f` against a real etcd, through the real executable.
@Suite("meshd apply and delete on etcd", .tags(.etcd), .serialized)
struct EtcdApplyTests {
    func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-apply-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    func meshd(_ arguments: [String]) throws -> SubprocessResult {
        try Subprocess.run([try MeshdProcess.executable()] + arguments, timeout: .seconds(60))
    }

    func keys(_ etcd: EtcdServer) async throws -> [EtcdKeyValue] {
        try await etcd.withSession { try await $0.list(prefix: "/meshd/") }.keyValues
    }

    @Test("one invalid object anywhere: nothing is written, and the error names file, field and reason")
    func invalidWritesNothing() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try EtcdFixtures.virtualService(name: "a", rev: "1").write(
            to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try (EtcdFixtures.service(name: "b") + "---\n" + EtcdFixtures.invalidVirtualService(name: "b")).write(
            to: directory.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        let result = try meshd(["apply", "-f", directory.path, "--etcd-endpoints", etcd.url])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("b.yaml"), "\(result.stdout)")
        #expect(result.stdout.contains("spec.http[0].route[0].weight"), "\(result.stdout)")
        #expect(result.stdout.contains("nothing was written"), "\(result.stdout)")
        #expect(try await keys(etcd).isEmpty, "an invalid apply wrote keys")
    }

    @Test("the mesh config ConfigMap: a bad mesh config refuses the apply; a good one is stored under its key")
    func meshConfigMap() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        func configMap(_ mesh: String) -> String {
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
                + "data:\n  mesh: |\n    \(mesh)\n"
        }
        let file = directory.appendingPathComponent("mesh.yaml")
        try configMap("outboundTrafficPolicy: {mode: SOMETIMES}").write(to: file, atomically: true, encoding: .utf8)
        let refused = try meshd(["apply", "-f", file.path, "--etcd-endpoints", etcd.url])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.contains("outboundTrafficPolicy.mode"), "\(refused.stdout)")
        #expect(try await keys(etcd).isEmpty)
        try configMap("outboundTrafficPolicy: {mode: REGISTRY_ONLY}").write(to: file, atomically: true, encoding: .utf8)
        let applied = try meshd(["apply", "-f", file.path, "--etcd-endpoints", etcd.url])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(!applied.stdout.contains("document skipped"), "\(applied.stdout)")
        #expect(try await keys(etcd).map(\.key) == ["/meshd/v1/ConfigMap/istio-system/istio"])
    }

    @Test("valid objects are written in one transaction; delete -f removes them in one")
    func appliesAtomicallyAndDeletes() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("mesh.yaml")
        try
            (EtcdFixtures.virtualService(name: "a", rev: "1") + "---\n" + EtcdFixtures.service(name: "b") + "---\n"
            + EtcdFixtures.virtualService(name: "c", namespace: "shop", rev: "1")).write(
                to: file, atomically: true, encoding: .utf8)
        let applied = try meshd(["apply", "-f", file.path, "--etcd-endpoints", etcd.url])
        #expect(applied.succeeded, "\(applied.stdout)\(applied.stderr)")
        let written = try await keys(etcd)
        #expect(
            written.map(\.key).sorted()
                == [
                    EtcdFixtures.vsKey("a"), EtcdFixtures.vsKey("c", namespace: "shop"), EtcdFixtures.serviceKey("b"),
                ].sorted())
        #expect(Set(written.map(\.modRevision)).count == 1, "all keys were written by one transaction: \(written)")
        // What was written decodes back to the same objects through the source's decoder.
        for keyValue in written {
            let result = try #require(EtcdObjectDecoder.decode(keyValue, layout: EtcdFixtures.layout))
            #expect(result.errors.isEmpty && result.objects.count == 1, "\(keyValue.key): \(result.errors)")
        }

        // Re-applying under another apiVersion replaces the key rather than leaving a duplicate.
        let beta = directory.appendingPathComponent("beta.yaml")
        try EtcdFixtures.virtualService(name: "a", rev: "2")
            .replacingOccurrences(of: "networking.istio.io/v1\n", with: "networking.istio.io/v1beta1\n")
            .write(to: beta, atomically: true, encoding: .utf8)
        let reapplied = try meshd(["apply", "-f", beta.path, "--etcd-endpoints", etcd.url])
        #expect(reapplied.succeeded, "\(reapplied.stdout)\(reapplied.stderr)")
        let afterBeta = Set(try await keys(etcd).map(\.key))
        #expect(afterBeta.contains("/meshd/networking.istio.io/v1beta1/VirtualService/default/a"))
        #expect(!afterBeta.contains(EtcdFixtures.vsKey("a")), "the v1 copy stayed behind: \(afterBeta)")

        let deleted = try meshd(["delete", "-f", file.path, "--etcd-endpoints", etcd.url])
        #expect(deleted.succeeded, "\(deleted.stdout)\(deleted.stderr)")
        let left = try await keys(etcd).map(\.key)
        #expect(left.isEmpty, "delete -f left keys: \(left)")
        #expect(deleted.stdout.contains("deleted 3 objects"), "\(deleted.stdout)")
    }

    @Test("meshd serve --etcd-endpoints: a change applied with meshd apply reaches the served config")
    func serveReadsWhatApplyWrites() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vs.yaml")
        try EtcdFixtures.virtualService(name: "reviews", rev: "1").write(to: file, atomically: true, encoding: .utf8)
        #expect(try meshd(["apply", "-f", file.path, "--etcd-endpoints", etcd.url]).succeeded)

        let adminPort = try MeshdProcess.freeLocalPort()
        let serve = try ManagedProcess.start(
            name: "meshd",
            argv: [
                try MeshdProcess.executable(), "serve", "--etcd-endpoints", etcd.url, "--xds-address",
                "unix:\(directory.appendingPathComponent("xds.sock").path)", "--admin-address",
                "127.0.0.1:\(adminPort)", "--secure-xds-address", "", "--state-dir",
                directory.appendingPathComponent("state").path,
            ],
            logFile: directory.appendingPathComponent("meshd.log"))
        defer { serve.stop() }
        let admin = "http://127.0.0.1:\(adminPort)"
        _ = try await Poll.until("meshd ready", timeout: .seconds(30)) {
            try serve.checkRunning()
            return try HTTPProbe.get("\(admin)/ready").status == 200 ? true : nil
        }
        // With etcd and a self-signed CA, serve shared its root under <prefix>/_ca/ before starting.
        let sharedRoot = try await etcd.withSession {
            try await $0.get(EtcdFixtures.layout.reservedKey("ca", "root-cert.pem"))
        }
        let localRoot = FileManager.default.contents(
            atPath: directory.appendingPathComponent("state/root-cert.pem").path)
        #expect(sharedRoot != nil && sharedRoot.map { Data($0.value) } == localRoot, "the CA root was not shared")
        // Ready means listed: the object applied before start is there at once, with its etcd key as its source.
        let configz = try HTTPProbe.get("\(admin)/debug/configz").body
        #expect(configz.contains("VirtualService/default/reviews"), "\(configz)")
        #expect(configz.contains("etcd:\(EtcdFixtures.vsKey("reviews"))"), "\(configz)")
        try EtcdFixtures.virtualService(name: "ratings", rev: "1").write(to: file, atomically: true, encoding: .utf8)
        #expect(try meshd(["apply", "-f", file.path, "--etcd-endpoints", etcd.url]).succeeded)
        _ = try await Poll.until("the applied change in /debug/configz", timeout: .seconds(10)) {
            try HTTPProbe.get("\(admin)/debug/configz").body.contains("VirtualService/default/ratings") ? true : nil
        }
    }
}
