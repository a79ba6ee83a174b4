import EnvoyAPI

extension Envoy_Config_Cluster_V3_Cluster {
    /// `inbound|<port>||`: ORIGINAL_DST, because virtualInbound restores the destination the client dialled,
    /// which is the workload's own address and port.
    static func inbound(_ port: InboundPort) -> Self {
        var cluster = passthrough(named: ClusterName.inbound(port: port.port))
        cluster.applyUpstreamProtocol(port.protocol)
        return cluster
    }
}
