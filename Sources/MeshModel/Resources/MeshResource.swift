/// One decoded, validated configuration object of any supported kind.
public enum MeshResource: Sendable, Hashable {
    case service(KubernetesService)
    case pod(Pod)
    case workloadEntry(WorkloadEntry)
    case serviceEntry(ServiceEntry)
    case virtualService(VirtualService)
    case destinationRule(DestinationRule)
    case peerAuthentication(PeerAuthentication)
    case endpointSlice(EndpointSlice)
    case sidecar(Sidecar)
    case gateway(Gateway)
    case secret(TLSSecret)
    case authorizationPolicy(AuthorizationPolicy)
    case requestAuthentication(RequestAuthentication)
    case telemetry(Telemetry)
    case envoyFilter(EnvoyFilter)
    case proxyConfig(ProxyConfig)
    case workloadGroup(WorkloadGroup)
    case node(KubernetesNode)

    public var meta: ObjectMeta {
        switch self {
        case .service(let r): r.meta
        case .pod(let r): r.meta
        case .workloadEntry(let r): r.meta
        case .serviceEntry(let r): r.meta
        case .virtualService(let r): r.meta
        case .destinationRule(let r): r.meta
        case .peerAuthentication(let r): r.meta
        case .endpointSlice(let r): r.meta
        case .sidecar(let r): r.meta
        case .gateway(let r): r.meta
        case .secret(let r): r.meta
        case .authorizationPolicy(let r): r.meta
        case .requestAuthentication(let r): r.meta
        case .telemetry(let r): r.meta
        case .envoyFilter(let r): r.meta
        case .proxyConfig(let r): r.meta
        case .workloadGroup(let r): r.meta
        case .node(let r): r.meta
        }
    }

    public var kind: ResourceKind {
        switch self {
        case .service: .service
        case .pod: .pod
        case .workloadEntry: .workloadEntry
        case .serviceEntry: .serviceEntry
        case .virtualService: .virtualService
        case .destinationRule: .destinationRule
        case .peerAuthentication: .peerAuthentication
        case .endpointSlice: .endpointSlice
        case .sidecar: .sidecar
        case .gateway: .gateway
        case .secret: .secret
        case .authorizationPolicy: .authorizationPolicy
        case .requestAuthentication: .requestAuthentication
        case .telemetry: .telemetry
        case .envoyFilter: .envoyFilter
        case .proxyConfig: .proxyConfig
        case .workloadGroup: .workloadGroup
        case .node: .node
        }
    }

    public var key: ResourceKey { ResourceKey(kind: kind, namespace: meta.namespace, name: meta.name) }
}

/// A resource together with the place it was read from.
public struct ConfigObject: Sendable, Hashable {
    public var resource: MeshResource
    public var source: SourceLocation

    public init(resource: MeshResource, source: SourceLocation) {
        self.resource = resource
        self.source = source
    }

    public var key: ResourceKey { resource.key }
}
