import EnvoyAPI
import SwiftProtobuf

extension Envoy_Config_Listener_V3_Listener {
    static let virtualInboundName = "virtualInbound"
    static let virtualInboundPort = 15006

    /// `virtualInbound` on 0.0.0.0:15006: iptables redirects inbound connections here; the original_dst
    /// listener filter restores the port the client dialled, which selects a filter chain per workload port.
    /// Other ports fall through to `InboundPassthroughCluster`.
    static func virtualInbound(_ ports: [InboundPort]) -> Self {
        var listener = Self()
        listener.name = virtualInboundName
        listener.address = ProtoValues.socketAddress("0.0.0.0", port: virtualInboundPort)
        listener.trafficDirection = .inbound
        var originalDst = Envoy_Config_Listener_V3_ListenerFilter()
        originalDst.name = NetworkFilters.originalDstName
        originalDst.typedConfig = packAny(Envoy_Extensions_Filters_Listener_OriginalDst_V3_OriginalDst())
        listener.listenerFilters = [originalDst]
        listener.filterChains = ports.map(inboundChain)
        listener.defaultFilterChain = NetworkFilters.filterChain(
            name: "virtualInbound-catchall", filters: [NetworkFilters.tcpProxy(to: ClusterName.inboundPassthrough)])
        return listener
    }

    /// One chain per workload port: HTTP ports get an HttpConnectionManager with an inline route to the
    /// inbound cluster, the rest tcp_proxy.
    private static func inboundChain(_ port: InboundPort) -> Envoy_Config_Listener_V3_FilterChain {
        let cluster = ClusterName.inbound(port: port.port)
        let name = "inbound_0.0.0.0_\(port.port)"
        let filter =
            port.protocol.isHTTP
            ? NetworkFilters.httpConnectionManager(
                statPrefix: name, routes: .routeConfig(InboundRoutes.configuration(port.port)))
            : NetworkFilters.tcpProxy(to: cluster)
        var chain = NetworkFilters.filterChain(name: name, filters: [filter])
        var match = Envoy_Config_Listener_V3_FilterChainMatch()
        match.destinationPort = ProtoValues.uint32(port.port)
        chain.filterChainMatch = match
        return chain
    }
}
