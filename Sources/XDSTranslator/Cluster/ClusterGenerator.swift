import EnvoyAPI
import MeshModel

/// CDS: the outbound clusters of every service port and subset, the inbound clusters of the proxy's own
/// workload, and Istio's fixed clusters (BlackHole, Passthrough, InboundPassthrough).
struct ClusterGenerator: ResourceGenerator {
    /// Outbound clusters read DestinationRules (traffic policy, TLS, subsets) and PeerAuthentications (auto-mTLS:
    /// whether the endpoints accept mutual TLS); the mesh config names the ext_authz provider clusters.
    static let dependencies = ConfigDependencies(
        kinds: ConfigDependencies.scoping.union([.destinationRule, .peerAuthentication, .envoyFilter]),
        meshConfig: true,
        fetchedJWKS: false, endpoints: .clusterFacing)

    func resources(for context: GenerationContext<ClusterInputs>) -> [TranslatedMessage] {
        var clusters = OutboundClusterPlan.all(in: context).map { plan in
            let socket = UpstreamTLS.transportSocket(for: plan, in: context)
            let originated =
                socket == nil ? nil : plan.policy?.tls.flatMap { [.simple, .mutual].contains($0.mode) ? $0 : nil }
            var cluster = Envoy_Config_Cluster_V3_Cluster.outbound(
                plan, context.snapshot, originatingTLS: originated, client: context.inputs.localityClient)
            if let socket { cluster.transportSocket = socket }
            // DNS clusters carry their endpoints inline: those objects shaped the cluster too.
            let endpoints =
                plan.discovery == .strictDNS || plan.discovery == .logicalDNS
                ? plan.endpoints(in: context.snapshot).prefix(MeshEndpoint.namedAsSources).map(\.origin) : []
            return TranslatedMessage(name: cluster.name, message: cluster, sources: plan.sources + endpoints)
        }
        // Inbound clusters come from the proxy's own workload ports (its inputs), or from its Sidecar's ingress.
        let ingressSidecar = context.sidecarScope.ingress == nil ? [] : context.inputs.sidecar.map { [$0.key] } ?? []
        clusters += Envoy_Config_Cluster_V3_Cluster.inboundClusters(context).map {
            TranslatedMessage(name: $0.name, message: $0, sources: ingressSidecar)
        }
        let fixed: [Envoy_Config_Cluster_V3_Cluster] = [
            .blackHole, .passthrough(named: ClusterName.passthrough),
            .passthrough(named: ClusterName.inboundPassthrough),
        ]
        return clusters + fixed.map { TranslatedMessage(name: $0.name, message: $0) }
    }
}
