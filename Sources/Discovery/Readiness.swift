import Synchronization

/// Whether meshd is ready to serve: the first snapshot is loaded and the xDS server is listening.
/// Thread-safe.
public final class Readiness: Sendable {
    private let configLoaded = Atomic<Bool>(false)
    private let xdsListening = Atomic<Bool>(false)

    public init() {}

    public var isReady: Bool { configLoaded.load(ordering: .acquiring) && xdsListening.load(ordering: .acquiring) }

    /// Human-readable reasons it is not ready; empty when ready.
    public var pending: [String] {
        var reasons: [String] = []
        if !configLoaded.load(ordering: .acquiring) { reasons.append("configuration not loaded") }
        if !xdsListening.load(ordering: .acquiring) { reasons.append("xDS server not listening") }
        return reasons
    }

    func markConfigLoaded() { configLoaded.store(true, ordering: .releasing) }
    func markXDSListening() { xdsListening.store(true, ordering: .releasing) }
}
