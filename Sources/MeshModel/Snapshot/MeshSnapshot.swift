/// An immutable, indexed view of the whole mesh at one moment. Built once per accepted change and never
/// mutated afterwards, so it can be shared across threads freely.
public struct MeshSnapshot: Sendable {
    /// Content hash of every object in the snapshot: equal inputs give equal versions across restarts.
    public let version: String
    /// Every service, sorted by hostname.
    public let services: [MeshService]
    /// Services by FQDN.
    public let servicesByHostname: [String: MeshService]
    /// Endpoints by service hostname and service port number.
    public let endpoints: [String: [Int: [MeshEndpoint]]]
    /// Every Pod and WorkloadEntry with an address.
    public let workloads: [MeshWorkload]
    /// VirtualServices by the FQDN of each of their hosts (a VirtualService appears under every host it names).
    /// Within one host, ordered by creation order equivalent: namespace then name.
    public let virtualServicesByHost: [String: [VirtualService]]
    /// DestinationRules by the FQDN of their host.
    public let destinationRulesByHost: [String: [DestinationRule]]
    /// PeerAuthentications by namespace, each list ordered by name.
    public let peerAuthentications: [String: [PeerAuthentication]]
    /// The objects it was built from, by key.
    public let objects: [ResourceKey: ConfigObject]

    public init(version: String, services: [MeshService], endpoints: [String: [Int: [MeshEndpoint]]], workloads: [MeshWorkload],
                virtualServicesByHost: [String: [VirtualService]], destinationRulesByHost: [String: [DestinationRule]],
                peerAuthentications: [String: [PeerAuthentication]] = [:], objects: [ResourceKey: ConfigObject]) {
        self.version = version
        self.services = services.sorted { $0.hostname < $1.hostname }
        self.servicesByHostname = Dictionary(services.map { ($0.hostname, $0) }, uniquingKeysWith: { first, _ in first })
        self.endpoints = endpoints
        self.workloads = workloads
        self.virtualServicesByHost = virtualServicesByHost
        self.destinationRulesByHost = destinationRulesByHost
        self.peerAuthentications = peerAuthentications
        self.objects = objects
    }

    /// The endpoints of `hostname`'s service port `port`, or an empty list.
    public func endpoints(hostname: String, port: Int) -> [MeshEndpoint] {
        endpoints[hostname]?[port] ?? []
    }

    /// The DestinationRule that applies to `hostname` for a client in `namespace`: one in the client's namespace
    /// first, then the service's own namespace, then any other. Nil when there is none.
    public func destinationRule(for hostname: String, clientNamespace: String) -> DestinationRule? {
        guard let rules = destinationRulesByHost[hostname], !rules.isEmpty else { return nil }
        if let own = rules.first(where: { $0.meta.namespace == clientNamespace }) { return own }
        if let svc = servicesByHostname[hostname], let home = rules.first(where: { $0.meta.namespace == svc.namespace }) {
            return home
        }
        return rules[0]
    }
}
