import EnvoyAPI

/// CDS: the outbound clusters of every service port and subset, the inbound clusters of the proxy's own
/// workload, and Istio's fixed clusters (BlackHole, Passthrough, InboundPassthrough).
struct ClusterGenerator: ResourceGenerator {
    func resources(for context: GenerationContext) -> [TranslatedMessage] {
        var clusters = OutboundClusterPlan.all(in: context).map { plan in
            var cluster = Envoy_Config_Cluster_V3_Cluster.outbound(plan, context.snapshot)
            if let socket = UpstreamTLS.transportSocket(for: plan, in: context) { cluster.transportSocket = socket }
            return cluster
        }
        clusters += InboundPort.all(in: context).map(Envoy_Config_Cluster_V3_Cluster.inbound)
        clusters += [
            .blackHole, .passthrough(named: ClusterName.passthrough),
            .passthrough(named: ClusterName.inboundPassthrough),
        ]
        return clusters.map { TranslatedMessage(name: $0.name, message: $0) }
    }
}
