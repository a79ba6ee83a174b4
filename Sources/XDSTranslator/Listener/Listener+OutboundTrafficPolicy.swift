import EnvoyAPI
import MeshModel

extension Envoy_Config_Listener_V3_Listener {
    /// `virtualOutbound` for an outbound traffic policy: connections that match no outbound listener go to
    /// `PassthroughCluster` (ALLOW_ANY) or to `BlackHoleCluster` (REGISTRY_ONLY), as istiod configures it.
    static func virtualOutbound(policy: OutboundTrafficPolicyMode) -> Self {
        var listener = virtualOutbound
        guard policy == .registryOnly else { return listener }
        listener.filterChains = [
            NetworkFilters.filterChain(
                name: "virtualOutbound-catchall-tcp",
                filters: [NetworkFilters.tcpProxy(to: ClusterName.blackHole)])
        ]
        return listener
    }
}

extension HTTPPorts {
    /// The HTTP ports of the services this proxy imports (see `SidecarScope`).
    static func all(in context: GenerationContext<some ProxyInputs>) -> [Int] {
        Set(context.visibleServices.flatMap { $0.ports.filter(\.protocol.isHTTP).map(\.port) })
            .subtracting(reserved)
            .sorted()
    }
}
