import EnvoyAPI

extension Envoy_Config_Cluster_V3_Cluster {
    /// `BlackHoleCluster`: STATIC with no hosts, so every request through it fails fast.
    static var blackHole: Self {
        var cluster = Self()
        cluster.name = ClusterName.blackHole
        cluster.type = .static
        cluster.connectTimeout = ProtoValues.connectTimeout
        return cluster
    }

    /// An ORIGINAL_DST cluster with the CLUSTER_PROVIDED load balancer, which ORIGINAL_DST requires.
    /// Used for `PassthroughCluster`, `InboundPassthroughCluster` and the inbound clusters.
    static func passthrough(named name: String) -> Self {
        var cluster = Self()
        cluster.name = name
        cluster.type = .originalDst
        cluster.lbPolicy = .clusterProvided
        cluster.connectTimeout = ProtoValues.connectTimeout
        return cluster
    }
}
