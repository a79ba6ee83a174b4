import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// Maps a DestinationRule's `loadBalancer` onto Envoy's `lb_policy` and `lb_config`, as istiod does.
enum LoadBalancing {
    /// The policy for `simple`: ORIGINAL_DST clusters must use CLUSTER_PROVIDED; unset is LEAST_REQUEST (istiod's
    /// default since 1.14); PASSTHROUGH already made the cluster ORIGINAL_DST. A consistent hash overrides it.
    static func policy(
        _ balancer: SimpleLoadBalancer?, discovery: OutboundClusterPlan.Discovery
    )
        -> Envoy_Config_Cluster_V3_Cluster.LbPolicy
    {
        if discovery == .originalDestination { return .clusterProvided }
        switch balancer {
        case .roundRobin: return .roundRobin
        case .random: return .random
        case .passthrough: return .clusterProvided
        case .leastRequest, .unspecified, nil: return .leastRequest
        }
    }
}

extension Envoy_Config_Cluster_V3_Cluster {
    /// `loadBalancer`: the policy, then `consistentHash` (RING_HASH or MAGLEV with its size). Warm-up
    /// (`warmupDurationSecs`) is not translated: the decoder warns about it.
    mutating func applyLoadBalancer(_ settings: LoadBalancerSettings?, discovery: OutboundClusterPlan.Discovery) {
        lbPolicy = LoadBalancing.policy(settings?.simple, discovery: discovery)
        guard discovery != .originalDestination, let hash = settings?.consistentHash else { return }
        switch hash.algorithm {
        case .maglev(let tableSize):
            lbPolicy = .maglev
            if tableSize != 0 {
                var config = Envoy_Config_Cluster_V3_Cluster.MaglevLbConfig()
                config.tableSize = Google_Protobuf_UInt64Value(tableSize)
                maglevLbConfig = config
            }
        case .ringHash(let minimumRingSize):
            lbPolicy = .ringHash
            if minimumRingSize != 0 {
                var config = Envoy_Config_Cluster_V3_Cluster.RingHashLbConfig()
                config.minimumRingSize = Google_Protobuf_UInt64Value(minimumRingSize)
                ringHashLbConfig = config
            }
        case nil:
            // Neither algorithm named: a ring with the deprecated minimumRingSize, else Envoy's 1024.
            lbPolicy = .ringHash
            var config = Envoy_Config_Cluster_V3_Cluster.RingHashLbConfig()
            let size = hash.minimumRingSize.flatMap { $0 == 0 ? nil : $0 } ?? 1024
            config.minimumRingSize = Google_Protobuf_UInt64Value(size)
            ringHashLbConfig = config
        }
    }
}
