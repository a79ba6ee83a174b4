import Synchronization

/// Decides which NACKs are logged: at most `burst` per proxy connection in each `window`, and says how many were
/// left out when it logs again. A proxy that rejects every push (or sends megabytes of `error_detail` each time)
/// then cannot flood the log; every NACK is still counted, tracked and shown in `/debug/nacks`. Thread-safe.
final class RejectionLogLimiter: Sendable {
    /// Whether to log this NACK, and how many were suppressed since the last one logged.
    struct Decision: Equatable {
        var log: Bool
        var suppressed: Int
    }

    private struct Window {
        var startedAt: ContinuousClock.Instant
        var logged: Int
        var suppressed: Int
    }

    let burst: Int
    let window: Duration
    private let windows = Mutex<[UInt64: Window]>([:])

    init(burst: Int = 5, window: Duration = .seconds(60)) {
        self.burst = max(1, burst)
        self.window = window
    }

    func decide(connection: UInt64, now: ContinuousClock.Instant = .now) -> Decision {
        windows.withLock { windows in
            var current = windows[connection] ?? Window(startedAt: now, logged: 0, suppressed: 0)
            if now - current.startedAt >= window {
                current = Window(startedAt: now, logged: 0, suppressed: current.suppressed)
            }
            let decision: Decision
            if current.logged < burst {
                decision = Decision(log: true, suppressed: current.suppressed)
                current.logged += 1
                current.suppressed = 0
            } else {
                decision = Decision(log: false, suppressed: 0)
                current.suppressed += 1
            }
            windows[connection] = current
            return decision
        }
    }

    /// Forgets a connection that ended.
    func forget(connection: UInt64) {
        _ = windows.withLock { $0.removeValue(forKey: connection) }
    }

    var trackedConnections: Int { windows.withLock { $0.count } }
}
