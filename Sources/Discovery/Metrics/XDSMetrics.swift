public import CoreMetrics
import Synchronization
public import XDSServer

/// Istio's control-plane metrics, fed by xDS events. Created against an explicit factory so tests and
/// the admin server share one registry without a global bootstrap. Thread-safe.
public final class XDSMetrics: XDSEventObserver, Sendable {
    private let factory: any MetricsFactory
    private let connections: Gauge
    private let connectionCount = Atomic<Int>(0)
    private let convergence: CoreMetrics.Timer
    private let pushes: [XDSType: Counter]
    private let pushTime: [XDSType: CoreMetrics.Timer]
    private let rejects: [XDSType: Counter]
    private let bytes: [XDSType: Counter]
    /// Resources carried by responses (Delta: updated and removed), by type: what a reconnect re-sent.
    private let resources: [XDSType: Counter]

    public init(factory: any MetricsFactory) {
        self.factory = factory
        connections = Gauge(label: "pilot_xds", factory: factory)
        convergence = CoreMetrics.Timer(label: "pilot_proxy_convergence_time", factory: factory)
        var pushes: [XDSType: Counter] = [:]
        var pushTime: [XDSType: CoreMetrics.Timer] = [:]
        var rejects: [XDSType: Counter] = [:]
        var bytes: [XDSType: Counter] = [:]
        var resources: [XDSType: Counter] = [:]
        for type in XDSType.allCases {
            let dimensions = [("type", type.shortName)]
            pushes[type] = Counter(label: "pilot_xds_pushes", dimensions: dimensions, factory: factory)
            pushTime[type] = CoreMetrics.Timer(label: "pilot_xds_push_time", dimensions: dimensions, factory: factory)
            rejects[type] = Counter(label: "pilot_total_xds_rejects", dimensions: dimensions, factory: factory)
            bytes[type] = Counter(label: "meshd_xds_sent_bytes", dimensions: dimensions, factory: factory)
            resources[type] = Counter(label: "meshd_xds_resources_sent", dimensions: dimensions, factory: factory)
        }
        self.resources = resources
        self.pushes = pushes
        self.pushTime = pushTime
        self.rejects = rejects
        self.bytes = bytes
    }

    public func observe(_ event: XDSEvent) {
        switch event {
        case .connected:
            connections.record(connectionCount.add(1, ordering: .relaxed).newValue)
        case .disconnected:
            connections.record(connectionCount.subtract(1, ordering: .relaxed).newValue)
        case .sent(_, _, let type, let response, _, let sentBytes, let duration):
            pushes[type]?.increment()
            resources[type]?.increment(by: response.resourceCount)
            pushTime[type]?.recordNanoseconds(Self.nanoseconds(duration))
            bytes[type]?.increment(by: sentBytes)
        case .rejected(_, _, let type, _, _):
            rejects[type]?.increment()
        case .refused(_, _, let reason):
            Counter(label: "meshd_xds_refused_proxies", dimensions: [("reason", reason)], factory: factory).increment()
        case .acknowledged, .pushEvaluated:
            break
        }
    }

    /// Records the time from a change's publication to one proxy accepting it.
    public func recordConvergence(_ duration: Duration) {
        convergence.recordNanoseconds(Self.nanoseconds(duration))
    }

    /// Counts a push trigger: `config` or `endpoint`.
    public func recordTrigger(_ trigger: PushTrigger) {
        Counter(label: "pilot_push_triggers", dimensions: [("type", trigger.rawValue)], factory: factory).increment()
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
