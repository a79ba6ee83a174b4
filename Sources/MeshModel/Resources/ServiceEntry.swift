/// Istio `ServiceEntry`: adds hosts to the mesh's service registry.
public struct ServiceEntry: Sendable, Hashable {
    public enum Location: String, Sendable, Hashable {
        case meshExternal = "MESH_EXTERNAL"
        case meshInternal = "MESH_INTERNAL"
    }
    public enum Resolution: String, Sendable, Hashable {
        case none = "NONE"
        case staticAddresses = "STATIC"
        case dns = "DNS"
        case dnsRoundRobin = "DNS_ROUND_ROBIN"
        /// Resolved per request from the HTTP Host or TLS SNI (Envoy's dynamic forward proxy); for wildcard hosts.
        case dynamicDNS = "DYNAMIC_DNS"
    }

    public var meta: ObjectMeta
    public var hosts: [String]
    public var addresses: [String]
    public var ports: [ServiceEntryPort]
    public var location: Location
    public var resolution: Resolution
    public var endpoints: [WorkloadEntrySpec]
    /// Selects WorkloadEntries (and Pods) in the same namespace, instead of inline endpoints.
    public var workloadSelector: [String: String]?
    public var exportTo: [String]
    /// SANs upstream certificates must carry (mesh mutual TLS to this service), instead of the endpoints' SPIFFE
    /// identities.
    public var subjectAltNames: [String] = []
    /// Whether `workloadSelector` was written without labels (it then selects every workload of the namespace).
    public var workloadSelectorWithoutLabels = false

    public init(
        meta: ObjectMeta, hosts: [String], addresses: [String] = [], ports: [ServiceEntryPort],
        location: Location = .meshExternal,
        resolution: Resolution = .none, endpoints: [WorkloadEntrySpec] = [], workloadSelector: [String: String]? = nil,
        exportTo: [String] = []
    ) {
        self.meta = meta
        self.hosts = hosts
        self.addresses = addresses
        self.ports = ports
        self.location = location
        self.resolution = resolution
        self.endpoints = endpoints
        self.workloadSelector = workloadSelector
        self.exportTo = exportTo
    }
}

/// One port of a ServiceEntry. `protocol` is Istio's: HTTP, HTTP2, GRPC, TCP, TLS, HTTPS, MONGO, ...
public struct ServiceEntryPort: Sendable, Hashable {
    public var number: Int
    public var `protocol`: String
    public var name: String
    public var targetPort: Int?

    public init(number: Int, protocol: String, name: String, targetPort: Int? = nil) {
        self.number = number
        self.protocol = `protocol`
        self.name = name
        self.targetPort = targetPort
    }
}
