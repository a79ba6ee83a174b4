/// An immutable, indexed view of the whole mesh at one moment. Built once per accepted change and never
/// mutated afterwards, so it can be shared across threads freely.
public struct MeshSnapshot: Sendable {
    /// Content hash of every object in the snapshot: equal inputs give equal versions across restarts.
    public internal(set) var version: String
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
    /// Sidecars by namespace, each list ordered by name (see `MeshSnapshot+Sidecar.swift`).
    public let sidecarsByNamespace: [String: [Sidecar]]
    /// The objects it was built from, by key.
    public let objects: [ResourceKey: ConfigObject]
    /// Gateways ordered by namespace then name (see `MeshSnapshot+Gateway.swift`).
    public internal(set) var gateways: [Gateway] = []
    /// TLS Secrets by `namespace/name`: gateway credentials served over SDS, never inlined.
    public internal(set) var tlsSecrets: [String: TLSSecret] = [:]
    /// AuthorizationPolicies by namespace, each list ordered by name (see `MeshSnapshot+Authorization.swift`).
    public internal(set) var authorizationPolicies: [String: [AuthorizationPolicy]] = [:]
    /// RequestAuthentications by namespace, each list ordered by name.
    public internal(set) var requestAuthentications: [String: [RequestAuthentication]] = [:]
    /// Telemetries by namespace, each list ordered by name (see `MeshSnapshot+Telemetry.swift`).
    public internal(set) var telemetries: [String: [Telemetry]] = [:]
    /// EnvoyFilters by namespace, each list ordered by name (`envoyFilters(namespace:labels:)` orders them for use).
    public internal(set) var envoyFilters: [String: [EnvoyFilter]] = [:]
    /// ProxyConfigs by namespace, each list ordered by name (see `MeshSnapshot+ProxyConfig.swift`).
    public internal(set) var proxyConfigs: [String: [ProxyConfig]] = [:]
    /// WorkloadGroups by namespace, each list ordered by name: the templates of auto-registered WorkloadEntries.
    public internal(set) var workloadGroups: [String: [WorkloadGroup]] = [:]
    /// Key sets fetched from RequestAuthentication `jwksUri`s, by URI (JSON text). A URI with no entry has no key
    /// set yet, and its provider must reject every token (fail closed).
    public internal(set) var fetchedJWKS: [String: String] = [:]
    /// The mesh config in force (istiod's defaults unless a mesh config was given).
    public internal(set) var meshConfig: MeshConfig = .default
    /// The `ChangeLog` generation this snapshot was published at (0 for one never published).
    public internal(set) var generation: UInt64 = 0
    /// The wildcard hosts of `destinationRulesByHost`, most specific (longest) first.
    public let destinationRuleWildcardHosts: [String]

    public init(
        version: String, services: [MeshService], endpoints: [String: [Int: [MeshEndpoint]]], workloads: [MeshWorkload],
        virtualServicesByHost: [String: [VirtualService]], destinationRulesByHost: [String: [DestinationRule]],
        peerAuthentications: [String: [PeerAuthentication]] = [:], sidecars: [String: [Sidecar]] = [:],
        objects: [ResourceKey: ConfigObject]
    ) {
        self.version = version
        self.services = services.sorted { $0.hostname < $1.hostname }
        self.servicesByHostname = Dictionary(
            services.map { ($0.hostname, $0) }, uniquingKeysWith: { first, _ in first })
        self.endpoints = endpoints
        self.workloads = workloads
        self.virtualServicesByHost = virtualServicesByHost
        self.destinationRulesByHost = destinationRulesByHost
        self.destinationRuleWildcardHosts = destinationRulesByHost.keys.filter { $0.hasPrefix("*") }
            .sorted { ($0.count, $1) > ($1.count, $0) }
        self.peerAuthentications = peerAuthentications
        self.sidecarsByNamespace = sidecars
        self.objects = objects
    }

    /// The endpoints of `hostname`'s service port `port`, or an empty list.
    public func endpoints(hostname: String, port: Int) -> [MeshEndpoint] {
        endpoints[hostname]?[port] ?? []
    }

    /// The DestinationRule that applies to `hostname` for a client in `clientNamespace`, looked up as istiod does:
    /// a rule in the client's own namespace (whatever its exportTo), else one in the service's namespace exported
    /// to the client, else one in the root namespace (`istio-system`) exported to the client. Rules elsewhere never
    /// apply. Within a namespace the most specific host wins (exact, then the longest wildcard), then the first
    /// by name. Nil when there is none.
    public func destinationRule(for hostname: String, clientNamespace: String) -> DestinationRule? {
        if let own = mostSpecificDestinationRule(hostname, namespace: clientNamespace, client: nil) { return own }
        if let home = servicesByHostname[hostname]?.namespace, home != clientNamespace,
            let rule = mostSpecificDestinationRule(hostname, namespace: home, client: clientNamespace)
        {
            return rule
        }
        let root = meshConfig.rootNamespace
        guard root != clientNamespace else { return nil }
        return mostSpecificDestinationRule(hostname, namespace: root, client: clientNamespace)
    }

    /// The first rule of `namespace` for the most specific host matching `hostname`, visible to `client` (nil: the
    /// namespace's own clients, which see every rule of it).
    private func mostSpecificDestinationRule(
        _ hostname: String, namespace: String, client: String?
    )
        -> DestinationRule?
    {
        func pick(_ host: String) -> DestinationRule? {
            destinationRulesByHost[host]?.first { rule in
                guard rule.meta.namespace == namespace else { return false }
                guard let client else { return true }
                let exportTo = rule.exportTo
                return exportTo.isEmpty || exportTo.contains("*") || exportTo.contains(client)
                    || (exportTo.contains(".") && namespace == client)
            }
        }
        if let exact = pick(hostname) { return exact }
        for wildcard in destinationRuleWildcardHosts where Self.wildcard(wildcard, matches: hostname) {
            if let rule = pick(wildcard) { return rule }
        }
        return nil
    }

    /// `*` matches every host; `*.example.com` (or `*example.com`) every host ending in what follows the `*`.
    static func wildcard(_ pattern: String, matches hostname: String) -> Bool {
        guard pattern.hasPrefix("*") else { return pattern == hostname }
        return hostname.hasSuffix(pattern.dropFirst())
    }
}
