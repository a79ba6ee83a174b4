public import CoreMetrics
import Foundation
import Synchronization

/// What this replica knows of the replica set: whether it leads, who does, its lease, the replicas registered, and
/// how far behind etcd its config watch runs. Written by `EtcdReplicaService` and the etcd source, read by the admin
/// server (`/debug/replicas`) and exported as metrics. Thread-safe.
///
/// - `meshd_leader`: 1 while this replica holds the leader key (and its lease is not past its TTL), else 0.
/// - `meshd_leader_changes_total`: how often this replica became leader or stopped being it.
/// - `meshd_replicas`: replicas registered under `<prefix>/_replicas/`, as last listed.
/// - `meshd_etcd_watch_lag_seconds`: from a write of this replica's own registry key to the config watch seeing
///   it (while a write is not seen yet, its age so far): how late config changes reach this replica.
/// - `meshd_etcd_watch_revision`: the etcd revision up to which the config watch has applied every change.
public final class ReplicaState: Sendable {
    /// One replica as `/debug/replicas` lists it.
    public struct Member: Sendable, Codable, Hashable {
        public var record: ReplicaRecord
        public var leader: Bool
    }

    /// The whole view, as `/debug/replicas` shows it.
    public struct View: Sendable, Codable {
        public var id: String
        public var role: String
        public var leader: String?
        public var leaseID: Int64?
        public var leaseTTLSeconds: Int64
        public var leaderSinceSeconds: Double?
        public var lastRenewalSecondsAgo: Double?
        public var leaderKeyCreateRevision: Int64?
        public var watchRevision: Int64
        public var watchLagSeconds: Double?
        public var duties: [String]
        public var replicas: [Member]
        public var lastError: String?
    }

    struct Probe {
        var revision: Int64
        var written: ContinuousClock.Instant
    }

    struct Inner {
        var isLeader = false
        var leaderID: String?
        var leaseID: Int64?
        var leaderSince: ContinuousClock.Instant?
        var lastRenewal: ContinuousClock.Instant?
        var leaderCreateRevision: Int64?
        var watchRevision: Int64 = 0
        var lastLag: Duration?
        var probes: [Probe] = []
        var replicas: [ReplicaRecord] = []
        var lastError: String?
    }

    public let id: String
    public let leaseTTL: Duration
    public let duties: [String]
    private let inner = Mutex(Inner())
    private let leaderGauge: Gauge
    private let changes: Counter
    private let replicaGauge: Gauge
    private let lagGauge: Gauge
    private let revisionGauge: Gauge

    public init(id: String, leaseTTL: Duration, duties: [String], factory: any MetricsFactory) {
        self.id = id
        self.leaseTTL = leaseTTL
        self.duties = duties
        leaderGauge = Gauge(label: "meshd_leader", factory: factory)
        changes = Counter(label: "meshd_leader_changes_total", factory: factory)
        replicaGauge = Gauge(label: "meshd_replicas", factory: factory)
        lagGauge = Gauge(label: "meshd_etcd_watch_lag_seconds", factory: factory)
        revisionGauge = Gauge(label: "meshd_etcd_watch_revision", factory: factory)
        leaderGauge.record(0)
        replicaGauge.record(0)
        lagGauge.record(0)
        revisionGauge.record(0)
    }

    /// Whether this replica leads now.
    public var isLeader: Bool { inner.withLock { $0.isLeader } }

    func becameLeader(createRevision: Int64) {
        let changed = inner.withLock { state -> Bool in
            let changed = !state.isLeader
            state.isLeader = true
            state.leaderID = id
            state.leaderCreateRevision = createRevision
            if changed { state.leaderSince = .now }
            return changed
        }
        leaderGauge.record(1)
        if changed { changes.increment() }
    }

    /// Not (or no longer) the leader; `leader` is who holds the key, when known.
    func follows(_ leader: String?) {
        let changed = inner.withLock { state -> Bool in
            let changed = state.isLeader
            state.isLeader = false
            state.leaderID = leader
            state.leaderSince = nil
            state.leaderCreateRevision = nil
            return changed
        }
        leaderGauge.record(0)
        if changed { changes.increment() }
    }

    func leaseGranted(_ lease: Int64?) {
        inner.withLock { $0.leaseID = lease }
    }

    func renewed(at instant: ContinuousClock.Instant) {
        inner.withLock { $0.lastRenewal = instant }
    }

    func failed(_ error: String?) {
        inner.withLock { $0.lastError = error }
    }

    func listed(_ replicas: [ReplicaRecord]) {
        inner.withLock { $0.replicas = replicas }
        replicaGauge.record(replicas.count)
    }

    /// This replica wrote its own key at `revision`: the config watch should see it soon.
    func probeWritten(revision: Int64, at instant: ContinuousClock.Instant = .now) {
        inner.withLock { state in
            state.probes.append(Probe(revision: revision, written: instant))
            if state.probes.count > 16 { state.probes.removeFirst(state.probes.count - 16) }
        }
        recordLag()
    }

    /// The config watch has applied every change up to `revision` (called by the etcd source).
    public func watchApplied(revision: Int64, at instant: ContinuousClock.Instant = .now) {
        inner.withLock { state in
            state.watchRevision = max(state.watchRevision, revision)
            while let first = state.probes.first, first.revision <= state.watchRevision {
                state.lastLag = instant - first.written
                state.probes.removeFirst()
            }
        }
        revisionGauge.record(Double(revision))
        recordLag()
    }

    /// The lag now: the last measured one, or the age of the oldest probe not seen yet if that is larger.
    func currentLag(at instant: ContinuousClock.Instant = .now) -> Duration? {
        inner.withLock { state in
            let outstanding = state.probes.first.map { instant - $0.written }
            switch (state.lastLag, outstanding) {
            case (let lag?, let waiting?): return max(lag, waiting)
            case (let lag, let waiting): return lag ?? waiting
            }
        }
    }

    /// Brings the lag gauge up to date (before a scrape: an outstanding probe ages).
    public func recordLag() {
        if let lag = currentLag() { lagGauge.record(Self.seconds(lag)) }
    }

    /// The view `/debug/replicas` answers with.
    public func view(at instant: ContinuousClock.Instant = .now) -> View {
        let lag = currentLag(at: instant)
        recordLag()
        return inner.withLock { state in
            View(
                id: id, role: state.isLeader ? "leader" : "follower", leader: state.leaderID, leaseID: state.leaseID,
                leaseTTLSeconds: leaseTTL.components.seconds,
                leaderSinceSeconds: state.leaderSince.map { Self.seconds(instant - $0) },
                lastRenewalSecondsAgo: state.lastRenewal.map { Self.seconds(instant - $0) },
                leaderKeyCreateRevision: state.leaderCreateRevision, watchRevision: state.watchRevision,
                watchLagSeconds: lag.map(Self.seconds), duties: duties,
                replicas: state.replicas.map { Member(record: $0, leader: $0.id == state.leaderID) },
                lastError: state.lastError)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
