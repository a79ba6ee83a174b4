import MeshModel

/// One outbound cluster the proxy gets: a service port, optionally narrowed to a DestinationRule subset.
///
/// Both CDS (the cluster) and EDS (its load assignment) are derived from the same plan, so the two never
/// disagree about which clusters exist.
struct OutboundClusterPlan: Sendable {
    /// How Envoy finds the hosts of the cluster.
    enum Discovery: Sendable, Hashable {
        /// Endpoints come over EDS under the cluster's name.
        case eds
        /// STRICT_DNS over an inline load assignment.
        case strictDNS
        /// LOGICAL_DNS over an inline load assignment with one host.
        case logicalDNS
        /// ORIGINAL_DST: forward to where the connection was going.
        case originalDestination
    }

    let name: String
    let service: MeshService
    let port: MeshServicePort
    let subset: Subset?
    let discovery: Discovery
    /// The DestinationRule's policy for this cluster: port-level settings resolved and the subset's merged over
    /// the top-level one, as istiod merges them. Nil without a rule.
    let policy: TrafficPolicy?
    /// The DestinationRule that applies to the service for this proxy, if any: its policy and subsets shaped the
    /// cluster (`policy`, `subset`).
    let rule: DestinationRule?

    /// The load balancer of the policy.
    var loadBalancer: SimpleLoadBalancer? { policy?.loadBalancer?.simple }

    /// Every outbound cluster for the proxy: each service port, then each subset of the DestinationRule that
    /// applies in the proxy's namespace. Sorted by service hostname and port. With `hostnames`, only the plans of
    /// those services (what an endpoint change of them alters), found without planning the others.
    static func all(
        in context: GenerationContext<some ProxyInputs>, hostnames: Set<String>? = nil
    ) -> [OutboundClusterPlan] {
        var plans: [OutboundClusterPlan] = []
        for service in context.visibleServices(hostnames: hostnames) {
            let rule = context.destinationRule(for: service.hostname)
            for port in service.ports.sorted(by: { $0.port < $1.port }) {
                plans.append(
                    plan(
                        service, port, subset: nil, policy: rule?.effectivePolicy(port: port.port, subset: nil),
                        rule: rule))
                for subset in rule?.subsets ?? [] {
                    let policy = rule?.effectivePolicy(port: port.port, subset: subset.name)
                    plans.append(plan(service, port, subset: subset, policy: policy, rule: rule))
                }
            }
        }
        return plans
    }

    private static func plan(
        _ service: MeshService, _ port: MeshServicePort, subset: Subset?, policy: TrafficPolicy?, rule: DestinationRule?
    ) -> OutboundClusterPlan {
        OutboundClusterPlan(
            name: ClusterName.outbound(port: port.port, subset: subset?.name, hostname: service.hostname),
            service: service, port: port, subset: subset,
            discovery: discovery(service, loadBalancer: policy?.loadBalancer?.simple), policy: policy, rule: rule)
    }

    /// A PASSTHROUGH load balancer forces ORIGINAL_DST whatever the resolution. A wildcard host cannot be
    /// resolved by DNS, so without endpoints it falls back to ORIGINAL_DST too.
    private static func discovery(_ service: MeshService, loadBalancer: SimpleLoadBalancer?) -> Discovery {
        if loadBalancer == .passthrough { return .originalDestination }
        switch service.resolution {
        case .endpoints: return .eds
        case .dns: return service.hostname.hasPrefix("*") ? .originalDestination : .strictDNS
        case .dnsRoundRobin: return service.hostname.hasPrefix("*") ? .originalDestination : .logicalDNS
        case .passthrough: return .originalDestination
        }
    }

    /// What the cluster is made of: the service's own object (Service or ServiceEntry) and the DestinationRule.
    var sources: [ResourceKey] {
        [service.origin] + (rule.map { [$0.sourceKey] } ?? [])
    }

    /// The service port's endpoints that belong to this cluster (all, or the subset's).
    func endpoints(in snapshot: MeshSnapshot) -> [MeshEndpoint] {
        let all = snapshot.endpoints(hostname: service.hostname, port: port.port)
        guard let subset else { return all }
        return all.filter { $0.matches(subset.labels) }
    }
}
