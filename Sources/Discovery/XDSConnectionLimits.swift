public import CoreMetrics
import GRPCTransportTuning
public import Logging
import Synchronization

/// The bounds of the xDS listeners' connections, for `XDSTransportSettings`; see `ConnectionGate`.
public struct XDSConnectionLimits: Sendable, Equatable {
    /// Most connections open at once, over every xDS listener.
    public var maxConnections: Int
    /// Most connections that have not yet had a proxy admitted.
    public var maxUnauthenticated: Int
    /// How long a connection may stay unauthenticated; nil forever.
    public var authenticationDeadline: Duration?

    public init(maxConnections: Int, maxUnauthenticated: Int, authenticationDeadline: Duration?) {
        self.maxConnections = maxConnections
        self.maxUnauthenticated = maxUnauthenticated
        self.authenticationDeadline = authenticationDeadline
    }
}

extension XDSTransportSettings {
    /// Settings whose connection gate enforces `connectionLimits`, counts refusals in
    /// `meshd_xds_connections_refused{reason}` and logs them (`RefusalLog`).
    public init(
        keepaliveTime: Duration = .seconds(30), keepaliveTimeout: Duration = .seconds(10),
        maxConcurrentStreams: Int = Self.defaultMaxConcurrentStreams, connectionLimits: XDSConnectionLimits,
        metrics: any MetricsFactory, logger: Logger
    ) {
        let log = RefusalLog(logger: logger)
        let counters = Dictionary(
            uniqueKeysWithValues: ConnectionGate.Refusal.allCases.map {
                (
                    $0,
                    Counter(
                        label: "meshd_xds_connections_refused", dimensions: [("reason", $0.rawValue)], factory: metrics)
                )
            })
        let limits = ConnectionGate.Limits(
            maxConnections: connectionLimits.maxConnections, maxUnauthenticated: connectionLimits.maxUnauthenticated,
            authenticationDeadline: connectionLimits.authenticationDeadline)
        let gate = ConnectionGate(limits: limits) { refusal, peer in
            counters[refusal]?.increment()
            log.refused(refusal, peer: peer)
        }
        self.init(
            keepaliveTime: keepaliveTime, keepaliveTimeout: keepaliveTimeout,
            maxConcurrentStreams: maxConcurrentStreams, gate: gate)
    }
}

/// Logs connection refusals at most once per reason every 10 s, with the number refused since: a flood must not
/// flood the log too. Thread-safe.
final class RefusalLog: Sendable {
    private struct Pending {
        var lastLogged: ContinuousClock.Instant?
        var count = 0
    }

    private let logger: Logger
    private let pending = Mutex<[ConnectionGate.Refusal: Pending]>([:])

    init(logger: Logger) { self.logger = logger }

    func refused(_ refusal: ConnectionGate.Refusal, peer: String) {
        let now = ContinuousClock.now
        let count: Int? = pending.withLock { pending in
            var entry = pending[refusal] ?? Pending()
            entry.count += 1
            defer { pending[refusal] = entry }
            if let last = entry.lastLogged, now - last < .seconds(10) { return nil }
            let count = entry.count
            entry.count = 0
            entry.lastLogged = now
            return count
        }
        guard let count else { return }
        logger.warning(
            "closing xDS connection",
            metadata: ["reason": "\(refusal.rawValue)", "peer": "\(peer)", "refused-since-last-log": "\(count)"])
    }
}
