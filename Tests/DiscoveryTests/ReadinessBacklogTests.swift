import Logging
import MeshModel
import MeshTestSupport
import Registry
import Synchronization
import Testing
import XDSServer
@testable import Discovery

/// `/ready` reports a source's backlog once its oldest unapplied change is older than the limit.
@Suite("Readiness backlog")
struct ReadinessBacklogTests {
    final class Probe: Sendable {
        let current = Mutex(ConfigBacklog())
        func set(_ backlog: ConfigBacklog) { current.withLock { $0 = backlog } }
        func read() -> ConfigBacklog { current.withLock { $0 } }
    }

    @Test func aBacklogPastItsLimitIsAReasonNotToBeReady() {
        let readiness = Readiness()
        let probe = Probe()
        readiness.watchBacklog("config files", limit: .seconds(10)) { probe.read() }
        #expect(!readiness.pending.contains { $0.contains("backlog") })

        // Waiting, but not yet for long: still no reason.
        probe.set(ConfigBacklog(files: 1, oldestAge: .seconds(3), oldestFile: "/etc/mesh/huge.yaml"))
        #expect(!readiness.pending.contains { $0.contains("backlog") })

        probe.set(ConfigBacklog(files: 2, oldestAge: .seconds(84), oldestFile: "/etc/mesh/huge.yaml"))
        let reason = readiness.pending.first { $0.contains("backlog") }
        #expect(reason?.contains("config files backlog: 2 change(s) not applied") == true)
        #expect(reason?.contains("/etc/mesh/huge.yaml") == true)
        #expect(reason?.contains("84s") == true)
        #expect(!readiness.isReady)

        probe.set(ConfigBacklog())
        #expect(!readiness.pending.contains { $0.contains("backlog") })
    }
}

/// `/ready` waits until proxies are served what a source synced: a source's first listing is in the store at once,
/// but reaches proxies only with the (debounced) push after it.
@Suite("Readiness waits for the synced state to be pushed")
struct ReadinessPushTests {
    @Test func aSyncedGenerationCountsOnlyOncePushed() {
        let readiness = Readiness()
        readiness.satisfy("etcd synced", generation: 7)
        #expect(readiness.pending.contains { $0.contains("synced configuration (change 7) not pushed yet") })
        #expect(!readiness.isReady)
    }

    @Test func readyOnlyAfterTheDebouncedPushOfTheListing() async throws {
        let logger = Logger(label: "ready", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = ConfigStore(logger: logger)
        let provider = MeshResourceProvider(snapshot: store.snapshot())
        let tracker = ChangeTracker(capacity: 20)
        let ads = ADSServer(provider: provider, observer: XDSEventFanOut([provider.connected, tracker]), logger: logger)
        let readiness = Readiness()
        readiness.markXDSListening()
        readiness.require("source synced")
        // A long quiet period, so the listing's push is clearly later than the listing.
        let settings = PushSettings(
            debounceAfter: .milliseconds(800), debounceMax: .seconds(5), endpointWindow: .milliseconds(800))
        let push = SnapshotPushService(
            store: store, provider: provider, ads: ads, readiness: readiness, tracker: tracker, settings: settings,
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await push.run() }
            defer { group.cancelAll() }
            // The empty first snapshot is pushed at once.
            _ = try await Poll.until("the first push", timeout: .seconds(5), interval: .milliseconds(10)) {
                readiness.pending == ["source synced"] ? true : nil
            }
            // The source lists a Service, then says it has synced.
            let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
                + "spec: {clusterIP: 10.96.0.7, ports: [{name: http, port: 80}]}\n"
            store.apply(file: "listed.yaml", result: ConfigDecoder.decode(yaml: yaml, file: "listed.yaml"))
            readiness.satisfy("source synced", generation: store.snapshot().generation)
            #expect(!readiness.isReady, "ready before proxies were served the listing")
            #expect(provider.snapshot.services.isEmpty)
            _ = try await Poll.until("ready", timeout: .seconds(5), interval: .milliseconds(10)) {
                readiness.isReady ? true : nil
            }
            #expect(!provider.snapshot.services.isEmpty, "ready, and proxies are served the listed Service")
        }
    }
}
