/// Istio's EnvoyFilter (`networking.istio.io/v1alpha3`): patches applied to the Envoy configuration meshd generates
/// for the proxies it selects, as istiod applies them (`MeshSnapshot.envoyFilters(namespace:labels:)` picks and
/// orders them; the translator's `EnvoyFilterPatcher` applies them).
public struct EnvoyFilter: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `workloadSelector.labels`; nil selects every proxy of the namespace (of the mesh, in the root namespace).
    public var workloadSelector: [String: String]?
    /// `targetRefs`: istiod does not apply an EnvoyFilter with target references to any proxy yet, nor does meshd.
    public var targetRefs: [PolicyTargetReference]
    /// `priority`: lower first; 0 by default. Root-namespace filters go before the namespace's at equal priority.
    public var priority: Int
    /// `metadata.creationTimestamp` as written (RFC 3339), which orders filters of equal priority; nil when absent.
    public var creationTimestamp: String?
    public var configPatches: [EnvoyConfigPatch]

    public init(
        meta: ObjectMeta, workloadSelector: [String: String]? = nil, targetRefs: [PolicyTargetReference] = [],
        priority: Int = 0, creationTimestamp: String? = nil, configPatches: [EnvoyConfigPatch] = []
    ) {
        self.meta = meta
        self.workloadSelector = workloadSelector
        self.targetRefs = targetRefs
        self.priority = priority
        self.creationTimestamp = creationTimestamp
        self.configPatches = configPatches
    }
}

/// One `configPatches[]` entry: where (`applyTo`, `match`) and what (`patch`).
public struct EnvoyConfigPatch: Sendable, Hashable {
    public enum ApplyTo: String, Sendable, Hashable, CaseIterable {
        case listener = "LISTENER"
        case filterChain = "FILTER_CHAIN"
        case networkFilter = "NETWORK_FILTER"
        case httpFilter = "HTTP_FILTER"
        case routeConfiguration = "ROUTE_CONFIGURATION"
        case virtualHost = "VIRTUAL_HOST"
        case httpRoute = "HTTP_ROUTE"
        case cluster = "CLUSTER"
        case extensionConfig = "EXTENSION_CONFIG"
        case bootstrap = "BOOTSTRAP"
        case listenerFilter = "LISTENER_FILTER"
    }

    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case merge = "MERGE"
        case add = "ADD"
        case remove = "REMOVE"
        case insertBefore = "INSERT_BEFORE"
        case insertAfter = "INSERT_AFTER"
        case insertFirst = "INSERT_FIRST"
        case replace = "REPLACE"
        /// As MERGE, but a list in the patch replaces the list it lands on instead of being appended to it.
        case mergeAndReplaceList = "MERGE_AND_REPLACE_LIST"
    }

    /// `patch.filterClass`: where an ADDed HTTP filter goes relative to meshd's own filters.
    public enum FilterClass: String, Sendable, Hashable {
        case unspecified = "UNSPECIFIED"
        case authn = "AUTHN"
        case authz = "AUTHZ"
        case stats = "STATS"
    }

    public enum Context: String, Sendable, Hashable {
        case any = "ANY"
        case sidecarInbound = "SIDECAR_INBOUND"
        case sidecarOutbound = "SIDECAR_OUTBOUND"
        case gateway = "GATEWAY"
        /// Ambient waypoints, which meshd does not serve: such a patch applies to no proxy of meshd.
        case waypoint = "WAYPOINT"
    }

    public struct Match: Sendable, Hashable {
        public var context: Context = .any
        /// `proxy.proxyVersion`: a regular expression over the proxy's `ISTIO_VERSION` node metadata.
        public var proxyVersion: String?
        /// `proxy.metadata`: node metadata the proxy must carry, each key with exactly this value.
        public var proxyMetadata: [String: String] = [:]
        public var object: ObjectMatch?

        public init(context: Context = .any, object: ObjectMatch? = nil) {
            self.context = context
            self.object = object
        }
    }

    public enum ObjectMatch: Sendable, Hashable {
        case listener(ListenerMatch)
        case routeConfiguration(RouteConfigurationMatch)
        case cluster(ClusterMatch)
        case waypoint
    }

    public struct ListenerMatch: Sendable, Hashable {
        public var portNumber: Int = 0
        public var name: String = ""
        public var filterChain: FilterChainMatch?
        public var listenerFilter: String = ""
        public init() {}
    }

    public struct FilterChainMatch: Sendable, Hashable {
        public var name: String = ""
        public var sni: String = ""
        public var transportProtocol: String = ""
        /// Comma-separated; every one must be among the chain's application protocols.
        public var applicationProtocols: String = ""
        public var filter: FilterMatch?
        public var destinationPort: Int = 0
        public init() {}
    }

    public struct FilterMatch: Sendable, Hashable {
        public var name: String = ""
        /// `subFilter.name`: the HTTP filter inside an HTTP connection manager.
        public var subFilter: String?
        public init() {}
    }

    public struct RouteConfigurationMatch: Sendable, Hashable {
        public enum RouteAction: String, Sendable, Hashable {
            case any = "ANY"
            case route = "ROUTE"
            case redirect = "REDIRECT"
            case directResponse = "DIRECT_RESPONSE"
        }

        public struct VirtualHostMatch: Sendable, Hashable {
            public var name: String = ""
            /// `domainName`: a domain the virtual host serves.
            public var domainName: String = ""
            public var route: RouteMatch?
            public init() {}
        }

        public struct RouteMatch: Sendable, Hashable {
            public var name: String = ""
            public var action: RouteAction = .any
            public init() {}
        }

        public var portNumber: Int = 0
        public var portName: String = ""
        /// `namespace/name` of the Gateway whose HTTPS server the route configuration serves.
        public var gateway: String = ""
        public var vhost: VirtualHostMatch?
        public var name: String = ""
        public init() {}
    }

    public struct ClusterMatch: Sendable, Hashable {
        public var portNumber: Int = 0
        public var service: String = ""
        public var subset: String = ""
        public var name: String = ""
        public init() {}
    }

    public var applyTo: ApplyTo
    public var match: Match
    public var operation: Operation
    public var filterClass: FilterClass
    /// The patch value, decoded into the Envoy type `applyTo` names; nil for REMOVE.
    public var value: EnvoyPatchValue?

    public init(
        applyTo: ApplyTo, match: Match = Match(), operation: Operation, filterClass: FilterClass = .unspecified,
        value: EnvoyPatchValue? = nil
    ) {
        self.applyTo = applyTo
        self.match = match
        self.operation = operation
        self.filterClass = filterClass
        self.value = value
    }
}
