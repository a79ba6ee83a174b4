import EnvoyAPI
import MeshModel

/// Maps a DestinationRule's `loadBalancer.simple` onto Envoy's `lb_policy`.
enum LoadBalancing {
    /// ORIGINAL_DST clusters must use CLUSTER_PROVIDED; otherwise ROUND_ROBIN unless the rule says otherwise.
    static func policy(_ balancer: SimpleLoadBalancer?, discovery: OutboundClusterPlan.Discovery)
        -> Envoy_Config_Cluster_V3_Cluster.LbPolicy
    {
        if discovery == .originalDestination { return .clusterProvided }
        switch balancer {
        case .leastRequest: return .leastRequest
        case .random: return .random
        case .passthrough: return .clusterProvided
        case .roundRobin, .unspecified, nil: return .roundRobin
        }
    }
}
