/// The application protocol of a service port, derived as Istio does (port name prefix, appProtocol, or
/// ServiceEntry `protocol`). Unknown protocols are treated as TCP.
public enum ServiceProtocol: String, Sendable, Hashable {
    case http = "HTTP"
    case http2 = "HTTP2"
    case grpc = "GRPC"
    case tcp = "TCP"
    case tls = "TLS"
    case https = "HTTPS"

    /// HTTP-family protocols get an HttpConnectionManager and RDS; the rest get tcp_proxy.
    public var isHTTP: Bool { self == .http || self == .http2 || self == .grpc }
}

/// One port of a mesh service.
public struct MeshServicePort: Sendable, Hashable {
    public var name: String
    public var port: Int
    public var `protocol`: ServiceProtocol

    public init(name: String, port: Int, protocol: ServiceProtocol) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
    }
}

/// How the proxy finds a service's endpoints.
public enum MeshResolution: String, Sendable, Hashable {
    /// Endpoints are known to meshd and sent over EDS (Kubernetes services, STATIC ServiceEntries).
    case endpoints = "EDS"
    /// The proxy resolves the hostnames of the endpoints (or the host itself) by DNS.
    case dns = "DNS"
    /// DNS_ROUND_ROBIN: a LOGICAL_DNS cluster.
    case dnsRoundRobin = "DNS_ROUND_ROBIN"
    /// Resolution NONE: the proxy forwards to the original destination.
    case passthrough = "NONE"
}

/// A service as the mesh sees it, from a Kubernetes Service or a ServiceEntry host.
public struct MeshService: Sendable, Hashable {
    /// The fully qualified hostname, e.g. `reviews.default.svc.cluster.local` or `api.example.com`.
    public var hostname: String
    /// The namespace of the object that declared it.
    public var namespace: String
    /// The Kubernetes short name (`reviews`) for Kubernetes services; nil for ServiceEntry hosts.
    public var shortName: String?
    /// VIPs (cluster IP or ServiceEntry addresses). Empty for headless services.
    public var addresses: [String]
    public var ports: [MeshServicePort]
    public var resolution: MeshResolution
    public var meshExternal: Bool
    /// The object that declared it (`Service/ns/name` or `ServiceEntry/ns/name`).
    public var origin: ResourceKey
    /// A ServiceEntry's `subjectAltNames`: identities upstream certificates may carry, besides the endpoints'.
    public var subjectAltNames: [String] = []
    /// A ServiceEntry's `exportTo` (empty: everywhere).
    public var exportTo: [String] = []
    /// A Kubernetes Service's `trafficDistribution: PreferClose` (`KubernetesService.prefersClose`).
    public var prefersClose = false

    public init(
        hostname: String, namespace: String, shortName: String?, addresses: [String], ports: [MeshServicePort],
        resolution: MeshResolution, meshExternal: Bool, origin: ResourceKey
    ) {
        self.hostname = hostname
        self.namespace = namespace
        self.shortName = shortName
        self.addresses = addresses
        self.ports = ports
        self.resolution = resolution
        self.meshExternal = meshExternal
        self.origin = origin
    }

    public func port(_ number: Int) -> MeshServicePort? { ports.first { $0.port == number } }
}

/// One endpoint of one service port.
public struct MeshEndpoint: Sendable, Hashable {
    /// IP address, or a hostname for DNS-resolved ServiceEntries.
    public var address: String
    /// The port on the workload that the service port maps to.
    public var port: Int
    public var labels: [String: String]
    public var serviceAccount: String?
    public var namespace: String
    public var locality: String?
    /// Load-balancing weight; nil means the default (1).
    public var weight: Int?
    /// The workload this came from (`Pod/ns/name`, `WorkloadEntry/ns/name`, or the ServiceEntry).
    public var origin: ResourceKey
    /// Whether the endpoint's TLS mode is `istio` (it runs a sidecar that terminates mesh mutual TLS), as istiod
    /// derives it (`EndpointTLSMode`): the label `security.istio.io/tlsMode`, else `istio` for a WorkloadEntry or
    /// inline endpoint with a service account; false for other Pods and for ServiceEntry hosts.
    public var hasSidecar: Bool

    public init(
        address: String, port: Int, labels: [String: String], serviceAccount: String?, namespace: String,
        locality: String? = nil, weight: Int? = nil, origin: ResourceKey, hasSidecar: Bool = false
    ) {
        self.address = address
        self.port = port
        self.labels = labels
        self.serviceAccount = serviceAccount
        self.namespace = namespace
        self.locality = locality
        self.weight = weight
        self.origin = origin
        self.hasSidecar = hasSidecar
    }

    /// True when every label of `selector` is present with the same value.
    public func matches(_ selector: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// A workload known to the registry (a Pod or WorkloadEntry), used to find which services a proxy serves.
public struct MeshWorkload: Sendable, Hashable {
    public var address: String
    public var namespace: String
    public var labels: [String: String]
    public var serviceAccount: String?
    public var origin: ResourceKey
    /// `region/zone/subzone`: a WorkloadEntry's own, a Pod's from its `istio-locality` label or its Node.
    public var locality: String?

    public init(
        address: String, namespace: String, labels: [String: String], serviceAccount: String?, origin: ResourceKey,
        locality: String? = nil
    ) {
        self.address = address
        self.namespace = namespace
        self.labels = labels
        self.serviceAccount = serviceAccount
        self.origin = origin
        self.locality = locality
    }
}
