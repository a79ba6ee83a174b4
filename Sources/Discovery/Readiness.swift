import Synchronization

/// Whether meshd is ready to serve: the first snapshot is loaded and the xDS server is listening.
/// Thread-safe.
public final class Readiness: Sendable {
    private let configLoaded = Atomic<Bool>(false)
    private let xdsListening = Atomic<Bool>(false)
    /// Named conditions that sources add (such as each Kubernetes kind's initial sync); all must be met.
    private let conditions = Mutex<[String: Bool]>([:])

    public init() {}

    public var isReady: Bool {
        configLoaded.load(ordering: .acquiring) && xdsListening.load(ordering: .acquiring)
            && conditions.withLock { $0.values.allSatisfy { $0 } }
    }

    /// Human-readable reasons it is not ready; empty when ready.
    public var pending: [String] {
        var reasons: [String] = []
        if !configLoaded.load(ordering: .acquiring) { reasons.append("configuration not loaded") }
        if !xdsListening.load(ordering: .acquiring) { reasons.append("xDS server not listening") }
        reasons += conditions.withLock { $0.filter { !$0.value }.keys.sorted() }
        return reasons
    }

    /// Adds a condition that must be satisfied before meshd is ready; adding it again changes nothing.
    public func require(_ condition: String) {
        conditions.withLock { if $0[condition] == nil { $0[condition] = false } }
    }

    /// Marks a condition met (it is added if it was not required yet).
    public func satisfy(_ condition: String) {
        conditions.withLock { $0[condition] = true }
    }

    func markConfigLoaded() { configLoaded.store(true, ordering: .releasing) }
    func markXDSListening() { xdsListening.store(true, ordering: .releasing) }
}
