/// Istio `DestinationRule`: subsets and traffic policy for one host.
public struct DestinationRule: Sendable, Hashable {
    public var meta: ObjectMeta
    public var host: String
    public var trafficPolicy: TrafficPolicy?
    public var subsets: [Subset]
    public var exportTo: [String]

    public init(
        meta: ObjectMeta, host: String, trafficPolicy: TrafficPolicy? = nil, subsets: [Subset] = [],
        exportTo: [String] = []
    ) {
        self.meta = meta
        self.host = host
        self.trafficPolicy = trafficPolicy
        self.subsets = subsets
        self.exportTo = exportTo
    }

    /// The subset named `name`, if the rule defines it.
    public func subset(named name: String) -> Subset? {
        subsets.first { $0.name == name }
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

/// `trafficPolicy`: how a client's sidecar balances, limits, ejects and secures traffic to the destination.
/// The model, merge rules and translation follow istiod; see TrafficPolicy+Merge.swift for subsets and ports.
public struct TrafficPolicy: Sendable, Hashable {
    public var loadBalancer: LoadBalancerSettings?
    public var connectionPool: ConnectionPoolSettings?
    public var outlierDetection: OutlierDetection?
    /// `tls`: how the client sidecar secures connections to the destination; nil leaves it to auto-mTLS.
    public var tls: ClientTLSSettings?
    /// `portLevelSettings`: per destination port, replacing the four policies above for that port.
    public var portLevelSettings: [PortTrafficPolicy]

    public init(
        loadBalancer: LoadBalancerSettings? = nil, connectionPool: ConnectionPoolSettings? = nil,
        outlierDetection: OutlierDetection? = nil, tls: ClientTLSSettings? = nil,
        portLevelSettings: [PortTrafficPolicy] = []
    ) {
        self.loadBalancer = loadBalancer
        self.connectionPool = connectionPool
        self.outlierDetection = outlierDetection
        self.tls = tls
        self.portLevelSettings = portLevelSettings
    }

    /// A policy with only `loadBalancer.simple` (and optionally `tls`) set.
    public init(loadBalancer simple: SimpleLoadBalancer, tls: ClientTLSSettings? = nil) {
        self.init(loadBalancer: LoadBalancerSettings(simple: simple), tls: tls)
    }
}

/// One entry of `portLevelSettings`.
public struct PortTrafficPolicy: Sendable, Hashable {
    /// `port.number`; nil when missing (refused by validation).
    public var port: Int?
    public var loadBalancer: LoadBalancerSettings?
    public var connectionPool: ConnectionPoolSettings?
    public var outlierDetection: OutlierDetection?
    public var tls: ClientTLSSettings?

    public init(
        port: Int?, loadBalancer: LoadBalancerSettings? = nil, connectionPool: ConnectionPoolSettings? = nil,
        outlierDetection: OutlierDetection? = nil, tls: ClientTLSSettings? = nil
    ) {
        self.port = port
        self.loadBalancer = loadBalancer
        self.connectionPool = connectionPool
        self.outlierDetection = outlierDetection
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

/// `loadBalancer`: either `simple` or `consistentHash` (a protobuf oneof), plus warm-up.
public struct LoadBalancerSettings: Sendable, Hashable {
    public var simple: SimpleLoadBalancer?
    public var consistentHash: ConsistentHashLB?
    /// `warmupDurationSecs`: slow start for new endpoints (ROUND_ROBIN and LEAST_REQUEST only).
    public var warmupDuration: Duration?
    /// `warmup`: the newer form of slow start, with its ramp's shape.
    public var warmup: Warmup?
    /// `localityLbSetting`: locality-aware balancing for this destination, over the mesh config's.
    public var localityLbSetting: LocalityLoadBalancerSetting?

    public init(
        simple: SimpleLoadBalancer? = nil, consistentHash: ConsistentHashLB? = nil, warmupDuration: Duration? = nil,
        warmup: Warmup? = nil, localityLbSetting: LocalityLoadBalancerSetting? = nil
    ) {
        self.simple = simple
        self.consistentHash = consistentHash
        self.warmupDuration = warmupDuration
        self.warmup = warmup
        self.localityLbSetting = localityLbSetting
    }

    /// `loadBalancer.warmup`: how long a new endpoint ramps up, from which share of its weight, how steeply.
    public struct Warmup: Sendable, Hashable {
        /// Required.
        public var duration: Duration?
        /// Share of the full weight a new endpoint starts with, 0-100.
        public var minimumPercent: Double?
        /// The ramp's curvature (1 is linear); not negative.
        public var aggression: Double?

        public init(duration: Duration? = nil, minimumPercent: Double? = nil, aggression: Double? = nil) {
            self.duration = duration
            self.minimumPercent = minimumPercent
            self.aggression = aggression
        }
    }
}

/// `loadBalancer.consistentHash`: the hash key (a route hash policy) and the hashing algorithm (cluster policy).
public struct ConsistentHashLB: Sendable, Hashable {
    /// What requests are hashed on.
    public enum Key: Sendable, Hashable {
        case header(String)
        case cookie(HTTPCookie)
        case sourceIP
        case queryParameter(String)
    }

    /// `ringHash` or `maglev`; nil uses a ring hash (with the deprecated `minimumRingSize` or Envoy's 1024).
    public enum Algorithm: Sendable, Hashable {
        case ringHash(minimumRingSize: UInt64)
        case maglev(tableSize: UInt64)
    }

    public var key: Key?
    public var algorithm: Algorithm?
    /// The deprecated top-level `minimumRingSize`.
    public var minimumRingSize: UInt64?

    public init(key: Key?, algorithm: Algorithm? = nil, minimumRingSize: UInt64? = nil) {
        self.key = key
        self.algorithm = algorithm
        self.minimumRingSize = minimumRingSize
    }

    /// `ringHash.minimumRingSize`, when the algorithm is a ring hash.
    public var ringHashMinimumSize: UInt64? {
        if case .ringHash(let size) = algorithm { return size }
        return nil
    }
}

/// `consistentHash.httpCookie`. Envoy generates the cookie when `ttl` is set and the request lacks it.
public struct HTTPCookie: Sendable, Hashable {
    public var name: String
    public var path: String?
    public var ttl: Duration?

    public init(name: String, path: String? = nil, ttl: Duration? = nil) {
        self.name = name
        self.path = path
        self.ttl = ttl
    }
}

/// `connectionPool`: circuit breaker thresholds and connection settings.
public struct ConnectionPoolSettings: Sendable, Hashable {
    public var tcp: TCPSettings?
    public var http: HTTPSettings?

    public init(tcp: TCPSettings? = nil, http: HTTPSettings? = nil) {
        self.tcp = tcp
        self.http = http
    }

    /// `connectionPool.tcp`.
    public struct TCPSettings: Sendable, Hashable {
        public var maxConnections: Int?
        public var connectTimeout: Duration?
        public var tcpKeepalive: TCPKeepalive?
        public var maxConnectionDuration: Duration?
        public var idleTimeout: Duration?

        public init(
            maxConnections: Int? = nil, connectTimeout: Duration? = nil, tcpKeepalive: TCPKeepalive? = nil,
            maxConnectionDuration: Duration? = nil, idleTimeout: Duration? = nil
        ) {
            self.maxConnections = maxConnections
            self.connectTimeout = connectTimeout
            self.tcpKeepalive = tcpKeepalive
            self.maxConnectionDuration = maxConnectionDuration
            self.idleTimeout = idleTimeout
        }
    }

    /// `connectionPool.tcp.tcpKeepalive`.
    public struct TCPKeepalive: Sendable, Hashable {
        public var probes: Int?
        public var time: Duration?
        public var interval: Duration?

        public init(probes: Int? = nil, time: Duration? = nil, interval: Duration? = nil) {
            self.probes = probes
            self.time = time
            self.interval = interval
        }
    }

    /// `connectionPool.http`.
    public struct HTTPSettings: Sendable, Hashable {
        /// `h2UpgradePolicy`.
        public enum H2UpgradePolicy: String, Sendable, Hashable, CaseIterable {
            case `default` = "DEFAULT"
            case doNotUpgrade = "DO_NOT_UPGRADE"
            case upgrade = "UPGRADE"
        }

        public var http1MaxPendingRequests: Int?
        public var http2MaxRequests: Int?
        public var maxRequestsPerConnection: Int?
        public var maxRetries: Int?
        public var idleTimeout: Duration?
        public var h2UpgradePolicy: H2UpgradePolicy?
        public var useClientProtocol: Bool
        public var maxConcurrentStreams: Int?

        public init(
            http1MaxPendingRequests: Int? = nil, http2MaxRequests: Int? = nil, maxRequestsPerConnection: Int? = nil,
            maxRetries: Int? = nil, idleTimeout: Duration? = nil, h2UpgradePolicy: H2UpgradePolicy? = nil,
            useClientProtocol: Bool = false, maxConcurrentStreams: Int? = nil
        ) {
            self.http1MaxPendingRequests = http1MaxPendingRequests
            self.http2MaxRequests = http2MaxRequests
            self.maxRequestsPerConnection = maxRequestsPerConnection
            self.maxRetries = maxRetries
            self.idleTimeout = idleTimeout
            self.h2UpgradePolicy = h2UpgradePolicy
            self.useClientProtocol = useClientProtocol
            self.maxConcurrentStreams = maxConcurrentStreams
        }
    }
}

/// `outlierDetection`: passive health checking. The error counts are protobuf wrappers in Istio, so an explicit
/// 0 (disable) differs from unset (Envoy's default).
public struct OutlierDetection: Sendable, Hashable {
    public var consecutive5xxErrors: Int?
    public var consecutiveGatewayErrors: Int?
    public var consecutiveLocalOriginFailures: Int?
    public var splitExternalLocalOriginErrors: Bool
    public var interval: Duration?
    public var baseEjectionTime: Duration?
    public var maxEjectionPercent: Int?
    /// `minHealthPercent`: Envoy's healthy panic threshold; 0 (the default) disables panic mode, as in istiod.
    public var minHealthPercent: Int

    public init(
        consecutive5xxErrors: Int? = nil, consecutiveGatewayErrors: Int? = nil,
        consecutiveLocalOriginFailures: Int? = nil, splitExternalLocalOriginErrors: Bool = false,
        interval: Duration? = nil, baseEjectionTime: Duration? = nil, maxEjectionPercent: Int? = nil,
        minHealthPercent: Int = 0
    ) {
        self.consecutive5xxErrors = consecutive5xxErrors
        self.consecutiveGatewayErrors = consecutiveGatewayErrors
        self.consecutiveLocalOriginFailures = consecutiveLocalOriginFailures
        self.splitExternalLocalOriginErrors = splitExternalLocalOriginErrors
        self.interval = interval
        self.baseEjectionTime = baseEjectionTime
        self.maxEjectionPercent = maxEjectionPercent
        self.minHealthPercent = minHealthPercent
    }
}
