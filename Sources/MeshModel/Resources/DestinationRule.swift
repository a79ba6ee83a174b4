/// Istio `DestinationRule`: subsets and traffic policy for one host.
public struct DestinationRule: Sendable, Hashable {
    public var meta: ObjectMeta
    public var host: String
    public var trafficPolicy: TrafficPolicy?
    public var subsets: [Subset]
    public var exportTo: [String]

    public init(meta: ObjectMeta, host: String, trafficPolicy: TrafficPolicy? = nil, subsets: [Subset] = [], exportTo: [String] = []) {
        self.meta = meta
        self.host = host
        self.trafficPolicy = trafficPolicy
        self.subsets = subsets
        self.exportTo = exportTo
    }
}

/// A named group of a service's endpoints, selected by labels.
public struct Subset: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var trafficPolicy: TrafficPolicy?

    public init(name: String, labels: [String: String], trafficPolicy: TrafficPolicy? = nil) {
        self.name = name
        self.labels = labels
        self.trafficPolicy = trafficPolicy
    }
}

/// The traffic policy fields supported so far.
public struct TrafficPolicy: Sendable, Hashable {
    public var loadBalancer: SimpleLoadBalancer?
    /// `tls`: how the client sidecar secures connections to the destination; nil leaves it to auto-mTLS.
    public var tls: ClientTLSSettings?

    public init(loadBalancer: SimpleLoadBalancer? = nil, tls: ClientTLSSettings? = nil) {
        self.loadBalancer = loadBalancer
        self.tls = tls
    }
}

/// `loadBalancer.simple`. `LEAST_CONN` is accepted as the deprecated spelling of LEAST_REQUEST.
public enum SimpleLoadBalancer: String, Sendable, Hashable {
    case unspecified = "UNSPECIFIED"
    case roundRobin = "ROUND_ROBIN"
    case leastRequest = "LEAST_REQUEST"
    case random = "RANDOM"
    case passthrough = "PASSTHROUGH"
}
