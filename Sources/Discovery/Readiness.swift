public import Registry
import Synchronization

/// Whether meshd is ready to serve: the first snapshot is loaded, the xDS server is listening, every source has
/// synced, and no source has a change that has waited too long to be applied (a backlog).
/// Thread-safe.
public final class Readiness: Sendable {
    private let configLoaded = Atomic<Bool>(false)
    private let xdsListening = Atomic<Bool>(false)
    /// Named conditions that sources add (such as each Kubernetes kind's initial sync); all must be met.
    private let conditions = Mutex<[String: Bool]>([:])
    /// Sources' backlogs, each with the age past which it makes meshd unready.
    private let backlogs = Mutex<[String: Backlog]>([:])
    /// The store generation each source had reached when it synced (the highest), and the generation of the last
    /// snapshot pushed to proxies: a source's first listing counts only once proxies are being served it.
    private let syncedGeneration = Atomic<UInt64>(0)
    private let pushedGeneration = Atomic<UInt64>(0)

    private struct Backlog: Sendable {
        var limit: Duration
        var probe: @Sendable () -> ConfigBacklog
    }

    /// Sources that cannot be reached while their last state is served, with when that began: reported by `/ready`
    /// without making meshd unready (see `degraded`).
    private let outages = Mutex<[String: (since: ContinuousClock.Instant, detail: String)]>([:])

    public init() {}

    /// Records that `source` cannot be reached since `since` (nil: it can again). meshd stays ready: it serves the
    /// source's last state, as istiod does when the API server goes, and every replica loses a shared store at
    /// once, so failing readiness would only keep new proxies from that state. `/ready` says so in its answer.
    public func degraded(_ source: String, since: ContinuousClock.Instant?, detail: String = "") {
        outages.withLock { outages in
            guard let since else {
                outages[source] = nil
                return
            }
            if outages[source] == nil { outages[source] = (since, detail) } else { outages[source]?.detail = detail }
        }
    }

    /// One line per source that is unreachable, with for how long: `etcd unreachable for 12s: serving ...`.
    public func degradations(at instant: ContinuousClock.Instant = .now) -> [String] {
        outages.withLock { outages in
            outages.sorted { $0.key < $1.key }.map { source, outage in
                let seconds = (instant - outage.since).components.seconds
                return "\(source) unreachable for \(seconds)s" + (outage.detail.isEmpty ? "" : ": \(outage.detail)")
            }
        }
    }

    public var isReady: Bool {
        configLoaded.load(ordering: .acquiring) && xdsListening.load(ordering: .acquiring)
            && conditions.withLock { $0.values.allSatisfy { $0 } } && overdueBacklogs.isEmpty && syncedIsPushed
    }

    private var syncedIsPushed: Bool {
        pushedGeneration.load(ordering: .acquiring) >= syncedGeneration.load(ordering: .acquiring)
    }

    /// Human-readable reasons it is not ready; empty when ready.
    public var pending: [String] {
        var reasons: [String] = []
        if !configLoaded.load(ordering: .acquiring) { reasons.append("configuration not loaded") }
        if !xdsListening.load(ordering: .acquiring) { reasons.append("xDS server not listening") }
        reasons += conditions.withLock { $0.filter { !$0.value }.keys.sorted() }
        if !syncedIsPushed {
            reasons.append(
                "synced configuration (change \(syncedGeneration.load(ordering: .acquiring))) not pushed yet "
                    + "(last pushed \(pushedGeneration.load(ordering: .acquiring)))")
        }
        return reasons + overdueBacklogs
    }

    /// Makes meshd unready while `probe` reports a change older than `limit`: a file stuck decoding means the
    /// proxies are served config that no longer matches the source, and a probe should say so rather than 200.
    public func watchBacklog(
        _ name: String, limit: Duration, _ probe: @escaping @Sendable () -> ConfigBacklog
    ) {
        backlogs.withLock { $0[name] = Backlog(limit: limit, probe: probe) }
    }

    /// One reason per backlog past its limit, naming the oldest file and its age.
    private var overdueBacklogs: [String] {
        let watched = backlogs.withLock { $0 }
        return watched.sorted { $0.key < $1.key }.compactMap { name, backlog in
            let current = backlog.probe()
            guard !current.isEmpty, current.oldestAge >= backlog.limit else { return nil }
            let oldest = current.oldestFile.map { ", oldest \($0)" } ?? ""
            return "\(name) backlog: \(current.files) change(s) not applied\(oldest), waiting "
                + "\(current.oldestAge.components.seconds)s (limit \(backlog.limit))"
        }
    }

    /// Adds a condition that must be satisfied before meshd is ready; adding it again changes nothing.
    public func require(_ condition: String) {
        conditions.withLock { if $0[condition] == nil { $0[condition] = false } }
    }

    /// Marks a condition met (it is added if it was not required yet). `generation`, when given, is the store's
    /// change-log generation once the source's state is in the store: meshd is ready only after a snapshot at least
    /// that new has been pushed (`markPushed`), so `/ready` never answers before proxies are served the listing.
    public func satisfy(_ condition: String, generation: UInt64? = nil) {
        if let generation { syncedGeneration.max(generation, ordering: .acquiringAndReleasing) }
        conditions.withLock { $0[condition] = true }
    }

    /// Records that the snapshot of `generation` (or one with the same content) is what proxies are served.
    func markPushed(generation: UInt64) {
        pushedGeneration.max(generation, ordering: .acquiringAndReleasing)
    }

    func markConfigLoaded() { configLoaded.store(true, ordering: .releasing) }
    func markXDSListening() { xdsListening.store(true, ordering: .releasing) }
}
