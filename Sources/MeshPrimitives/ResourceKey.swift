/// The kinds of resource meshd understands in this release.
public enum ResourceKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case service = "Service"
    case pod = "Pod"
    case workloadEntry = "WorkloadEntry"
    case serviceEntry = "ServiceEntry"
    case virtualService = "VirtualService"
    case destinationRule = "DestinationRule"
    case peerAuthentication = "PeerAuthentication"
    case endpointSlice = "EndpointSlice"
    case sidecar = "Sidecar"
    case gateway = "Gateway"
    case secret = "Secret"
    case authorizationPolicy = "AuthorizationPolicy"
    case requestAuthentication = "RequestAuthentication"
    case telemetry = "Telemetry"
    case envoyFilter = "EnvoyFilter"
    case proxyConfig = "ProxyConfig"
    case workloadGroup = "WorkloadGroup"
    case node = "Node"

    public static func < (lhs: ResourceKind, rhs: ResourceKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Identifies one object: `Kind/namespace/name`. Two documents with the same key are the same object.
public struct ResourceKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: ResourceKind
    public var namespace: String
    public var name: String

    public init(kind: ResourceKind, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(kind.rawValue)/\(namespace)/\(name)" }

    /// By kind name, then namespace, then name. Keys of one kind (most comparisons, when generators sort their
    /// sources) never compare the kinds' names.
    public static func < (lhs: ResourceKey, rhs: ResourceKey) -> Bool {
        if lhs.kind != rhs.kind { return lhs.kind < rhs.kind }
        return (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}
