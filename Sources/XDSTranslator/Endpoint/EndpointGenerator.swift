import EnvoyAPI
import MeshModel

/// EDS: one `ClusterLoadAssignment` per EDS cluster that CDS gives the proxy, holding the service port's
/// endpoints (narrowed to the subset's labels). A subset without matching endpoints still gets an empty
/// assignment, so Envoy does not wait for it.
struct EndpointGenerator: ResourceGenerator {
    /// Subsets (DestinationRules) pick endpoints by label; PeerAuthentication is read with the clusters' plans.
    static let dependencies = ConfigDependencies(
        kinds: ConfigDependencies.scoping.union([.destinationRule, .peerAuthentication]), meshConfig: true,
        fetchedJWKS: false, endpoints: .all)

    func resources(for context: GenerationContext<EndpointInputs>) -> [TranslatedMessage] {
        resources(for: context, hostnames: nil)
    }

    /// The assignments of the clusters of `hostnames` only (all when nil): what an endpoint change of those
    /// services alters.
    func resources(for context: GenerationContext<EndpointInputs>, hostnames: Set<String>?) -> [TranslatedMessage] {
        OutboundClusterPlan.all(in: context, hostnames: hostnames)
            .filter { $0.discovery == .eds }
            .map { plan in
                let endpoints = plan.endpoints(in: context.snapshot)
                let assignment = LocalityBalancing.loadAssignment(
                    plan, endpoints: endpoints, mesh: context.snapshot.meshConfig, client: context.inputs.localityClient)
                let named = endpoints.prefix(MeshEndpoint.namedAsSources).map(\.origin)
                return TranslatedMessage(name: plan.name, message: assignment, sources: plan.sources + named)
            }
    }
}
