/// A Kubernetes `discovery.k8s.io/v1` EndpointSlice: some of the endpoints of the Service named by its
/// `kubernetes.io/service-name` label, as the endpoint-slice controller (or another manager) publishes them.
public struct EndpointSlice: Sendable, Hashable {
    /// The label naming the Service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    public var meta: ObjectMeta
    public var addressType: EndpointSliceAddressType
    public var endpoints: [SliceEndpoint]
    public var ports: [SlicePort]

    public init(
        meta: ObjectMeta, addressType: EndpointSliceAddressType, endpoints: [SliceEndpoint] = [],
        ports: [SlicePort] = []
    ) {
        self.meta = meta
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    /// The Service this slice belongs to, from its `kubernetes.io/service-name` label.
    public var serviceName: String? { meta.labels[Self.serviceNameLabel] }
}

/// What kind of address every endpoint of a slice has.
public enum EndpointSliceAddressType: String, Sendable, Hashable {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"
    case fqdn = "FQDN"
}

/// One endpoint of an EndpointSlice.
public struct SliceEndpoint: Sendable, Hashable {
    public var addresses: [String]
    /// `conditions.ready`; Kubernetes reads a missing value as ready.
    public var ready: Bool
    public var targetRef: SliceTargetRef?
    public var nodeName: String?
    public var zone: String?

    public init(
        addresses: [String], ready: Bool = true, targetRef: SliceTargetRef? = nil, nodeName: String? = nil,
        zone: String? = nil
    ) {
        self.addresses = addresses
        self.ready = ready
        self.targetRef = targetRef
        self.nodeName = nodeName
        self.zone = zone
    }
}

/// The object behind an endpoint, usually a Pod.
public struct SliceTargetRef: Sendable, Hashable {
    public var kind: String
    public var name: String
    public var namespace: String?

    public init(kind: String, name: String, namespace: String? = nil) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}

/// One port of an EndpointSlice; `name` matches the Service port's name (empty for a single unnamed port).
public struct SlicePort: Sendable, Hashable {
    public var name: String
    /// Nil means "all ports" in Kubernetes; meshd cannot build an endpoint from that and skips such a port.
    public var port: Int?
    public var transportProtocol: String

    public init(name: String = "", port: Int?, transportProtocol: String = "TCP") {
        self.name = name
        self.port = port
        self.transportProtocol = transportProtocol
    }
}
