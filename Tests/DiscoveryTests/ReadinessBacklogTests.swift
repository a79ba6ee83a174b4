import Discovery
import Registry
import Synchronization
import Testing

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
