public import MeshModel

/// What a generator may read of the proxy it generates for. Each xDS type's generator takes its own inputs type
/// (`ClusterInputs`, `EndpointInputs`, `ListenerInputs`, `RouteInputs`, `SecretInputs`), never the `Proxy`: a
/// generator that reads a field outside its inputs does not compile. The cacheable inputs are `Hashable` and are
/// the cache key of generated config (`GeneratorInputs`), so proxies with equal inputs share one generated set.
///
/// Inputs are made from a `Proxy` by `ProxyInputsIndex`, once per snapshot, so the rules that derive them (which
/// workload is the proxy's own, which Sidecar selects it) exist once.
public protocol ProxyInputs: Sendable {
    var kind: Proxy.Kind { get }
    /// DestinationRule lookup, exportTo, short host names, namespace-wide policies.
    var namespace: String { get }
    /// The Sidecar that configures a sidecar proxy (`SidecarScope`); nil when none applies, and for routers.
    var sidecar: SelectedSidecar? { get }
}

/// The Sidecar that selects a proxy. Equal and hashed by key alone: generated sets are cached per snapshot
/// generation as well (`GeneratorInputs` is only ever compared within one generation of the mesh), and within
/// one generation a key names exactly one Sidecar.
public struct SelectedSidecar: Sendable, Hashable {
    public let key: ResourceKey
    public let resource: Sidecar

    init(_ resource: Sidecar) {
        self.resource = resource
        key = ResourceKey(kind: .sidecar, namespace: resource.meta.namespace, name: resource.meta.name)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.key == rhs.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }
}

/// CDS: outbound clusters (DestinationRules by namespace, auto-mTLS by identity), inbound clusters (the proxy's
/// own workload's ports, or its Sidecar's ingress), and the ext_authz clusters of the mesh config's providers.
public struct ClusterInputs: ProxyInputs, Hashable {
    public var kind: Proxy.Kind
    public var namespace: String
    public var sidecar: SelectedSidecar?
    /// The trust domain of the proxy's identity; nil for a proxy without one (no mesh TLS to originate).
    public var trustDomain: String?
    /// The ports of the proxy's own workload, with the protocol the inbound side uses (`ProxyInputsIndex`).
    public var inbound: [InboundPort]
    /// Only under a Sidecar whose ingress sends to the workload's own address (`0.0.0.0:<port>`): the proxy's
    /// first IP, which that inbound cluster targets. Elsewhere nil, so pods of one workload keep sharing CDS.
    public var ingressWorkloadAddress: String?
    /// The EnvoyFilter patches that apply to the proxy (CLUSTER ones are used).
    public var envoyFilters: EnvoyFilterPatches = .none
    /// As `EndpointInputs.locality`: DNS clusters carry their endpoints inline, prioritized for the proxy.
    public var locality: String?
    /// As `EndpointInputs.failoverLabels`.
    public var failoverLabels: [String: String]?

    var localityClient: LocalityBalancing.Client {
        LocalityBalancing.Client(locality: locality, labels: failoverLabels)
    }
}

/// EDS: the endpoints of the clusters the proxy imports, prioritized or weighted by the proxy's locality where
/// `localityLbSetting` applies (`LocalityBalancing`).
public struct EndpointInputs: ProxyInputs, Hashable {
    public var kind: Proxy.Kind
    public var namespace: String
    public var sidecar: SelectedSidecar?
    /// The proxy's locality (`region/zone/subzone`: the node's, else its own workload's), only when some
    /// DestinationRule or the mesh config makes assignments depend on it; nil otherwise, so proxies share EDS.
    public var locality: String?
    /// The proxy's values of the labels that some `failoverPriority` names; nil when none does (or the proxy has
    /// no labels, which turns `failoverPriority` off as in istiod).
    public var failoverLabels: [String: String]?

    var localityClient: LocalityBalancing.Client {
        LocalityBalancing.Client(locality: locality, labels: failoverLabels)
    }
}

/// LDS: outbound listeners, virtualInbound (own ports, PeerAuthentication, authorization by the workload's
/// labels), and for routers the listeners of the Gateways that select them.
public struct ListenerInputs: ProxyInputs, Hashable {
    public var kind: Proxy.Kind
    public var namespace: String
    public var sidecar: SelectedSidecar?
    public var trustDomain: String?
    public var inbound: [InboundPort]
    /// The labels policies select the proxy by and TCP `sourceLabels` match: a sidecar's own workload's, else its
    /// node's; a router's own (`MeshSnapshot.policyLabels`). Only the keys something in the snapshot reads
    /// (`ProxyInputsIndex.listenerLabelKeys`), so that workloads differing in other labels share one LDS view.
    public var workloadLabels: [String: String]
    /// A router's labels, which pick the Gateways that configure it; nil for sidecars.
    public var gatewayLabels: [String: String]?
    /// The EnvoyFilter patches that apply to the proxy (listener-class ones, and route-class ones for the route
    /// configurations inbound listeners carry inline).
    public var envoyFilters: EnvoyFilterPatches = .none
}

/// RDS: route configurations per port (sidecars) or per Gateway server (routers).
public struct RouteInputs: ProxyInputs, Hashable {
    public var kind: Proxy.Kind
    public var namespace: String
    public var sidecar: SelectedSidecar?
    public var gatewayLabels: [String: String]?
    /// The node's labels, only when some VirtualService http match uses `sourceLabels` (routes then differ by
    /// client); nil otherwise, so every proxy of a namespace shares its routes.
    public var sourceLabels: [String: String]?
    /// The EnvoyFilter patches that apply to the proxy (route-class ones are used).
    public var envoyFilters: EnvoyFilterPatches = .none
}

/// ECDS: the filter configs that EnvoyFilter `EXTENSION_CONFIG` patches add for the proxy.
public struct ExtensionConfigInputs: ProxyInputs, Hashable {
    public var kind: Proxy.Kind
    public var namespace: String
    public var sidecar: SelectedSidecar? { nil }
    /// The EnvoyFilter patches that apply to the proxy (EXTENSION_CONFIG ones).
    public var envoyFilters: EnvoyFilterPatches = .none
}

/// SDS: the proxy's own key material, and for routers the gateway credentials of its namespace. Never cached
/// with config: certificates rotate on their own clock.
public struct SecretInputs: ProxyInputs {
    public var kind: Proxy.Kind
    public var namespace: String
    public var sidecar: SelectedSidecar? { nil }
    public var identity: WorkloadIdentity?
    public var secrets: ProxySecrets?
    /// A router's labels: its Gateways' credentials are served to it; nil for sidecars.
    public var gatewayLabels: [String: String]?
}

/// The inputs of one cacheable generated set: its type and what that type's generator reads of the proxy.
public enum GeneratorInputs: Sendable, Hashable {
    case cluster(ClusterInputs)
    case endpoint(EndpointInputs)
    case listener(ListenerInputs)
    case route(RouteInputs)
    case extensionConfig(ExtensionConfigInputs)
}
