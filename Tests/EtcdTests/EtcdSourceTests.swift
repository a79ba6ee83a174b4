import EtcdClient
import Foundation
import Logging
import MeshModel
import MeshTestSupport
import Registry
import Testing

/// The etcd config source against a real etcd: list then watch, resume after a broken stream, relist after
/// compaction, refused values, and readiness only after the first listing.
@Suite("etcd source", .tags(.etcd), .serialized)
struct EtcdSourceTests {
    let layout = EtcdFixtures.layout

    /// Runs an `EtcdSource` on `etcd` into a fresh store for the duration of `body`.
    func withSource(
        _ etcd: EtcdServer, backoff: Duration = .milliseconds(100), recorder: LogRecorder = LogRecorder(),
        _ body: (ConfigStore, SyncFlag) async throws -> Void
    ) async throws {
        let store = ConfigStore(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        var options = EtcdSource.Options()
        options.initialBackoff = backoff
        options.maximumBackoff = backoff
        let synced = SyncFlag()
        let source = EtcdSource(
            connection: etcd.connection(), layout: layout, store: store, options: options, logger: recorder.logger,
            onSynced: { synced.set() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            defer { group.cancelAll() }
            try await body(store, synced)
        }
    }

    func put(_ etcd: EtcdServer, _ key: String, _ yaml: String) async throws {
        try await etcd.withSession { try await $0.put(key, value: Array(yaml.utf8)) }
    }

    func waitFor(_ what: String, _ condition: @escaping () -> Bool) async throws {
        _ = try await Poll.until(what, timeout: .seconds(20)) { condition() ? true : nil }
    }

    @Test("lists what is there, then watches: puts, updates and deletes reach the store")
    func listThenWatch() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await put(etcd, EtcdFixtures.vsKey(), EtcdFixtures.virtualService(rev: "1"))
        try await put(etcd, EtcdFixtures.serviceKey("reviews"), EtcdFixtures.service(name: "reviews"))
        try await withSource(etcd) { store, synced in
            try await waitFor("the first listing") { synced.isSet }
            #expect(EtcdFixtures.revision(of: "reviews", in: store) == "1", "listed before readiness")
            #expect(
                store.objects().contains {
                    $0.key == ResourceKey(kind: .service, namespace: "default", name: "reviews")
                })

            try await put(etcd, EtcdFixtures.vsKey(), EtcdFixtures.virtualService(rev: "2"))
            try await waitFor("the update") { EtcdFixtures.revision(of: "reviews", in: store) == "2" }
            try await put(etcd, EtcdFixtures.vsKey("ratings"), EtcdFixtures.virtualService(name: "ratings", rev: "1"))
            try await waitFor("the new object") { EtcdFixtures.revision(of: "ratings", in: store) == "1" }
            try await etcd.withSession { _ = try await $0.delete(EtcdFixtures.vsKey()) }
            try await waitFor("the deletion") { EtcdFixtures.revision(of: "reviews", in: store) == nil }
            #expect(EtcdFixtures.revision(of: "ratings", in: store) == "1")
        }
    }

    @Test("an invalid value is refused with its key, field path and reason; the last good version stays")
    func invalidValueKeepsLastGood() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let key = EtcdFixtures.vsKey()
        try await put(etcd, key, EtcdFixtures.virtualService(rev: "good"))
        try await withSource(etcd) { store, synced in
            try await waitFor("the first listing") { synced.isSet }
            #expect(EtcdFixtures.revision(of: "reviews", in: store) == "good")

            try await put(etcd, key, EtcdFixtures.invalidVirtualService())
            let file = EtcdObjectDecoder.fileName(forKey: key)
            try await waitFor("the refusal") { store.diagnostics().contains { $0.file == file && $0.isError } }
            let error = try #require(store.diagnostics().first { $0.file == file && $0.isError })
            #expect(error.fieldPath == "spec.http[0].route[0].weight", "\(error)")
            #expect(error.description.contains(key), "\(error)")
            #expect(EtcdFixtures.revision(of: "reviews", in: store) == "good", "the last good version stays")

            // A fixed value replaces it and clears the error.
            try await put(etcd, key, EtcdFixtures.virtualService(rev: "fixed"))
            try await waitFor("the fix") { EtcdFixtures.revision(of: "reviews", in: store) == "fixed" }
            #expect(!store.diagnostics().contains { $0.file == file && $0.isError })
        }
    }

    @Test("a broken watch resumes from the last revision: changes made meanwhile arrive, with no relist")
    func resumesAfterBrokenStream() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await put(etcd, EtcdFixtures.vsKey(), EtcdFixtures.virtualService(rev: "1"))
        try await put(etcd, EtcdFixtures.vsKey("gone"), EtcdFixtures.virtualService(name: "gone", rev: "1"))
        let recorder = LogRecorder()
        try await withSource(etcd, recorder: recorder) { store, synced in
            try await waitFor("the first listing") { synced.isSet }
            #expect(EtcdFixtures.revision(of: "gone", in: store) == "1")
            // etcd goes away; it comes back where the source cannot reach it, takes writes, then opens up again.
            etcd.kill()
            try await etcd.restart(reachable: false)
            try await put(etcd, EtcdFixtures.vsKey(), EtcdFixtures.virtualService(rev: "2"))
            try await etcd.withSession { _ = try await $0.delete(EtcdFixtures.vsKey("gone")) }
            #expect(EtcdFixtures.revision(of: "reviews", in: store) == "1", "the last state stays while etcd is away")
            try await etcd.restart()
            try await waitFor("the change made while away") { EtcdFixtures.revision(of: "reviews", in: store) == "2" }
            try await waitFor("the deletion made while away") { EtcdFixtures.revision(of: "gone", in: store) == nil }
        }
        #expect(recorder.count("listed etcd") == 1, "resumed without listing again:\n\(recorder.all)")
        #expect(recorder.count("etcd watch failed") >= 1, "the break was seen:\n\(recorder.all)")
    }

    @Test("a compacted revision makes the source list again, without losing a change or a deletion")
    func relistsAfterCompaction() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await put(etcd, EtcdFixtures.vsKey(), EtcdFixtures.virtualService(rev: "1"))
        try await put(etcd, EtcdFixtures.vsKey("gone"), EtcdFixtures.virtualService(name: "gone", rev: "1"))
        let recorder = LogRecorder()
        try await withSource(etcd, recorder: recorder) { store, synced in
            try await waitFor("the first listing") { synced.isSet }
            etcd.kill()
            try await etcd.restart(reachable: false)
            try await put(etcd, EtcdFixtures.vsKey(), EtcdFixtures.virtualService(rev: "2"))
            try await etcd.withSession { _ = try await $0.delete(EtcdFixtures.vsKey("gone")) }
            try await put(etcd, EtcdFixtures.vsKey("new"), EtcdFixtures.virtualService(name: "new", rev: "1"))
            // Compact everything: the source's revision is now in the discarded history.
            try await etcd.withSession { session in
                try await session.compact(revision: try await session.currentRevision(), physical: false)
            }
            try await etcd.restart()
            try await waitFor("the relist") {
                EtcdFixtures.revision(of: "reviews", in: store) == "2"
                    && EtcdFixtures.revision(of: "gone", in: store) == nil
                    && EtcdFixtures.revision(of: "new", in: store) == "1"
            }
        }
        #expect(recorder.count("compacted past revision") == 1, "\(recorder.all)")
        #expect(
            recorder.count("listed etcd") == 2, "listed once at start and once after the compaction:\n\(recorder.all)")
    }

    @Test("not synced until the first listing is applied: an unreachable etcd keeps the source unready")
    func readinessWaitsForFirstListing() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await put(etcd, EtcdFixtures.vsKey(), EtcdFixtures.virtualService(rev: "1"))
        etcd.kill()
        try await etcd.restart(reachable: false)
        try await withSource(etcd) { store, synced in
            try await Task.sleep(for: .seconds(1))
            #expect(!synced.isSet, "synced with no listing")
            #expect(store.objects().isEmpty)
            try await etcd.restart()
            try await waitFor("the first listing") { synced.isSet }
            #expect(EtcdFixtures.revision(of: "reviews", in: store) == "1")
        }
    }

    @Test("a second endpoint serves when the first is down")
    func failsOverToTheNextEndpoint() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await put(etcd, EtcdFixtures.vsKey(), EtcdFixtures.virtualService(rev: "1"))
        let dead = EtcdEndpoint(host: .ipv4("127.0.0.1"), port: try MeshdProcess.freeLocalPort(), usesTLS: false)
        let store = ConfigStore(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        var options = EtcdSource.Options()
        options.initialBackoff = .milliseconds(100)
        options.maximumBackoff = .milliseconds(100)
        let synced = SyncFlag()
        let connection = EtcdConnection(endpoints: [dead, etcd.endpoint], requestTimeout: .seconds(2))
        let source = EtcdSource(
            connection: connection, layout: layout, store: store, options: options,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), onSynced: { synced.set() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            defer { group.cancelAll() }
            try await waitFor("the listing through the second endpoint") { synced.isSet }
            #expect(EtcdFixtures.revision(of: "reviews", in: store) == "1")
        }
    }

    @Test("user and password: the source authenticates and reads a cluster with auth enabled")
    func authenticates() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await put(etcd, EtcdFixtures.vsKey(), EtcdFixtures.virtualService(rev: "1"))
        let endpoint = "http://127.0.0.1:\(etcd.testPort)"
        for command in [["user", "add", "root:rootpw"], ["auth", "enable"]] {
            let result = try Subprocess.run(
                ["/usr/bin/etcdctl", "--endpoints", endpoint] + command, environment: ["ETCDCTL_API": "3"])
            try #require(result.succeeded, "etcdctl \(command): \(result.stdout)\(result.stderr)")
        }
        // Without credentials the read is refused; with them it works.
        await #expect(throws: EtcdError.self) {
            try await EtcdClient.withSession(etcd.connection()) { try await $0.list(prefix: "/meshd/") }
        }
        let good = EtcdConnection.Credentials(user: "root", password: "rootpw")
        let listing = try await EtcdClient.withSession(etcd.connection(credentials: good)) {
            try await $0.list(prefix: "/meshd/")
        }
        #expect(listing.keyValues.map(\.key) == [EtcdFixtures.vsKey()])
        let bad = EtcdConnection.Credentials(user: "root", password: "wrong")
        await #expect(throws: EtcdError.self) {
            try await EtcdClient.withSession(etcd.connection(credentials: bad)) { try await $0.list(prefix: "/meshd/") }
        }
    }

    @Test("the ConfigMap istio-system/istio in etcd is the mesh config: applied, a bad one refused keeping the last good, deleted means defaults")
    func meshConfigFromEtcd() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let key = layout.key(apiVersion: "v1", kind: "ConfigMap", namespace: "istio-system", name: "istio")
        func configMap(_ mesh: String) -> String {
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
            \(mesh.split(separator: "\n").map { "    \($0)" }.joined(separator: "\n"))
            """
        }
        try await put(etcd, key, configMap("rootNamespace: mesh-root\ntrustDomain: example.org"))
        try await withSource(etcd) { store, synced in
            try await waitFor("the first listing") { synced.isSet }
            try await waitFor("the mesh config") { store.meshConfig().rootNamespace == "mesh-root" }
            #expect(store.meshConfig().trustDomain == "example.org")
            #expect(!store.objects().contains { $0.key.name == "istio" }, "the ConfigMap is no config object")
            // Refused: the last good mesh config stays, with the error named.
            try await put(etcd, key, configMap("outboundTrafficPolicy: {mode: SOMETIMES}"))
            try await waitFor("the refusal") {
                store.diagnostics().contains { $0.isError && $0.fieldPath == "outboundTrafficPolicy.mode" }
            }
            #expect(store.meshConfig().rootNamespace == "mesh-root")
            try await put(etcd, key, configMap("outboundTrafficPolicy: {mode: REGISTRY_ONLY}"))
            try await waitFor("the fixed mesh config") { store.meshConfig().outboundTrafficPolicy == .registryOnly }
            try await etcd.withSession { _ = try await $0.delete(key) }
            try await waitFor("istiod's defaults") { store.meshConfig() == MeshConfig.default }
        }
    }
}
