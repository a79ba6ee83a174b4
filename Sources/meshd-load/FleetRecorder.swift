import Synchronization

/// What every simulated proxy has seen, shared by all of them and read by the run's controller. Thread-safe.
///
/// Sync is tracked per round (a round ends when every proxy is told to drop its connection). Convergence is
/// tracked per watch: the controller arms a watch on one type just before it changes the config, and each
/// proxy's first response of that type whose content differs from what it had at arming time is stamped.
final class FleetRecorder: Sendable {
    struct Counters: Sendable {
        var responses = [Int](repeating: 0, count: XDSKind.allCases.count)
        var resources = [Int](repeating: 0, count: XDSKind.allCases.count)
        var bytes = [Int](repeating: 0, count: XDSKind.allCases.count)
        var acks = 0
        var nacks = 0
        var connectFailures = 0
        /// Delta: resources the server sent although the proxy already held that version.
        var unchangedResent = 0
        var sessionErrors: [String: Int] = [:]
    }

    private struct Watch {
        let kind: XDSKind
        let armedAt: ContinuousClock.Instant
        var baseline: [Int?]
        var changedAt: [ContinuousClock.Instant?]
    }

    private struct State {
        var round = 0
        var syncedAt: [ContinuousClock.Instant?]
        var syncedCount = 0
        var lastHash: [[Int?]]
        var counters = Counters()
        var watch: Watch?
    }

    let proxies: Int
    private let state: Mutex<State>
    /// S7's per-move convergence, active only while a churn runs.
    let churn: ChurnRecorder

    init(proxies: Int) {
        self.proxies = proxies
        churn = ChurnRecorder(proxies: proxies)
        state = Mutex(
            State(
                syncedAt: Array(repeating: nil, count: proxies),
                lastHash: Array(repeating: Array(repeating: nil, count: proxies), count: XDSKind.allCases.count)))
    }

    /// One response arrived at proxy `index`.
    func received(proxy index: Int, kind: XDSKind, contentHash: Int, resources: Int, bytes: Int, nacked: Bool) {
        let now = ContinuousClock.now
        state.withLock { state in
            state.counters.responses[kind.rawValue] += 1
            state.counters.resources[kind.rawValue] += resources
            state.counters.bytes[kind.rawValue] += bytes
            if nacked { state.counters.nacks += 1 } else { state.counters.acks += 1 }
            state.lastHash[kind.rawValue][index] = contentHash
            if var watch = state.watch, watch.kind == kind, watch.changedAt[index] == nil,
                watch.baseline[index] != contentHash
            {
                watch.changedAt[index] = now
                state.watch = watch
            }
        }
    }

    /// Proxy `index` finished syncing in `round` (ignored if the round has moved on or it had already).
    func synced(proxy index: Int, round: Int) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.round == round, state.syncedAt[index] == nil else { return }
            state.syncedAt[index] = now
            state.syncedCount += 1
        }
    }

    func unchangedResent(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.counters.unchangedResent += count }
    }

    func sessionFailed(_ reason: String, connecting: Bool) {
        state.withLock { state in
            if connecting { state.counters.connectFailures += 1 }
            if state.counters.sessionErrors.count < 20 || state.counters.sessionErrors[reason] != nil {
                state.counters.sessionErrors[reason, default: 0] += 1
            }
        }
    }

    var syncedCount: Int { state.withLock { $0.syncedCount } }
    var counters: Counters { state.withLock { $0.counters } }
    var syncTimes: [ContinuousClock.Instant] { state.withLock { $0.syncedAt.compactMap { $0 } } }

    /// Starts a new round: nobody is synced in it yet.
    func beginRound(_ round: Int) {
        state.withLock { state in
            state.round = round
            state.syncedAt = Array(repeating: nil, count: proxies)
            state.syncedCount = 0
        }
    }

    /// Records every proxy's current content of `kind` as the baseline and starts stamping changes.
    func arm(_ kind: XDSKind, at instant: ContinuousClock.Instant) {
        state.withLock { state in
            state.watch = Watch(
                kind: kind, armedAt: instant, baseline: state.lastHash[kind.rawValue],
                changedAt: Array(repeating: nil, count: proxies))
        }
    }

    /// Moves the watch's start to the moment of the file write (arming happens just before it).
    func setWatchStart(_ instant: ContinuousClock.Instant) {
        state.withLock { state in
            guard let watch = state.watch else { return }
            state.watch = Watch(
                kind: watch.kind, armedAt: instant, baseline: watch.baseline, changedAt: watch.changedAt)
        }
    }

    /// Latencies from the watch's start to each proxy's first changed response, among proxies in `indices`.
    func convergence(among indices: Range<Int>) -> (latencies: [Duration], changed: Int) {
        state.withLock { state in
            guard let watch = state.watch else { return ([], 0) }
            let latencies = indices.compactMap { watch.changedAt[$0].map { $0 - watch.armedAt } }
            return (latencies, latencies.count)
        }
    }

    func changedCount(among indices: Range<Int>) -> Int {
        state.withLock { state in
            guard let watch = state.watch else { return 0 }
            return indices.reduce(0) { $0 + (watch.changedAt[$1] == nil ? 0 : 1) }
        }
    }
}
