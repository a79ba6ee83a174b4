/// Istio's Telemetry (`telemetry.istio.io` v1 and v1alpha1): how workloads log, trace and count requests.
///
/// A Telemetry in the root namespace without a selector is mesh-wide, one in another namespace without a selector
/// is namespace-wide, and one with a `selector` applies to the workloads it selects. More specific levels override
/// less specific ones, entry by entry, as istiod merges them (`MeshSnapshot.telemetry(for:)`).
public struct Telemetry: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `selector.matchLabels`; nil when absent (or empty, which istiod scopes like absent).
    public var selector: [String: String]?
    /// `targetRef`/`targetRefs`: waypoints and Gateway API gateways, which meshd does not serve.
    public var targetRefs: [PolicyTargetReference]
    public var accessLogging: [TelemetryAccessLogging]
    public var tracing: [TelemetryTracing]
    public var metrics: [TelemetryMetrics]

    public init(
        meta: ObjectMeta, selector: [String: String]? = nil, targetRefs: [PolicyTargetReference] = [],
        accessLogging: [TelemetryAccessLogging] = [], tracing: [TelemetryTracing] = [],
        metrics: [TelemetryMetrics] = []
    ) {
        self.meta = meta
        self.selector = selector
        self.targetRefs = targetRefs
        self.accessLogging = accessLogging
        self.tracing = tracing
        self.metrics = metrics
    }
}

/// `match.mode`: which side of a connection an entry applies to. A sidecar is the CLIENT on its outbound
/// listeners and the SERVER on its inbound one; a gateway is a CLIENT.
public enum TelemetryWorkloadMode: String, Sendable, Hashable, CaseIterable {
    case clientAndServer = "CLIENT_AND_SERVER"
    case client = "CLIENT"
    case server = "SERVER"

    /// Whether an entry with this mode applies to traffic on `side`.
    public func applies(to side: TelemetryTrafficSide) -> Bool {
        switch self {
        case .clientAndServer: true
        case .client: side == .client
        case .server: side == .server
        }
    }
}

/// The side of the traffic a listener handles.
public enum TelemetryTrafficSide: Sendable, Hashable {
    case client
    case server
}

/// One `accessLogging[]` entry.
public struct TelemetryAccessLogging: Sendable, Hashable {
    /// `providers[].name`; empty means the mesh config's `defaultProviders.accessLogging` (or the parent level's).
    public var providers: [String]
    /// `disabled`; nil when unset (which does not turn logging off).
    public var disabled: Bool?
    /// `filter.expression`: a CEL expression; only requests for which it is true are logged.
    public var filterExpression: String?
    public var mode: TelemetryWorkloadMode

    public init(
        providers: [String] = [], disabled: Bool? = nil, filterExpression: String? = nil,
        mode: TelemetryWorkloadMode = .clientAndServer
    ) {
        self.providers = providers
        self.disabled = disabled
        self.filterExpression = filterExpression
        self.mode = mode
    }
}

/// One `tracing[]` entry.
public struct TelemetryTracing: Sendable, Hashable {
    public var providers: [String]
    public var mode: TelemetryWorkloadMode
    /// `randomSamplingPercentage`, 0-100; nil when unset.
    public var randomSamplingPercentage: Double?
    public var disableSpanReporting: Bool?
    public var useRequestIdForTraceSampling: Bool?
    /// `customTags`, by tag name.
    public var customTags: [String: TracingCustomTag]

    public init(
        providers: [String] = [], mode: TelemetryWorkloadMode = .clientAndServer,
        randomSamplingPercentage: Double? = nil, disableSpanReporting: Bool? = nil,
        useRequestIdForTraceSampling: Bool? = nil, customTags: [String: TracingCustomTag] = [:]
    ) {
        self.providers = providers
        self.mode = mode
        self.randomSamplingPercentage = randomSamplingPercentage
        self.disableSpanReporting = disableSpanReporting
        self.useRequestIdForTraceSampling = useRequestIdForTraceSampling
        self.customTags = customTags
    }
}

/// A span tag's value: a literal, an environment variable of the proxy, or a request header.
public enum TracingCustomTag: Sendable, Hashable {
    case literal(String)
    case environment(name: String, defaultValue: String?)
    case header(name: String, defaultValue: String?)
}

/// One `metrics[]` entry. Upstream Envoy has no Istio stats filter, so meshd reads these only to validate them
/// and to say what it cannot do.
public struct TelemetryMetrics: Sendable, Hashable {
    public var providers: [String]
    public var overrides: [TelemetryMetricsOverride]

    public init(providers: [String] = [], overrides: [TelemetryMetricsOverride] = []) {
        self.providers = providers
        self.overrides = overrides
    }
}

/// One `metrics[].overrides[]` entry.
public struct TelemetryMetricsOverride: Sendable, Hashable {
    public var disabled: Bool?
    /// `match.metric` or `match.customMetric`; nil for every metric.
    public var metric: String?
    /// `tagOverrides` names.
    public var tagOverrides: [String]

    public init(disabled: Bool? = nil, metric: String? = nil, tagOverrides: [String] = []) {
        self.disabled = disabled
        self.metric = metric
        self.tagOverrides = tagOverrides
    }
}
