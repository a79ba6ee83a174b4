import EnvoyAPI
import SwiftProtobuf

extension Envoy_Config_Listener_V3_Listener {
    static let virtualOutboundName = "virtualOutbound"
    static let virtualOutboundPort = 15001

    /// `virtualOutbound` on 0.0.0.0:15001: iptables redirects every outbound connection here, and
    /// `use_original_dst` hands it to the listener matching the original destination. Connections that
    /// match none go to `PassthroughCluster`.
    static var virtualOutbound: Self {
        var listener = Self()
        listener.name = virtualOutboundName
        listener.address = ProtoValues.socketAddress("0.0.0.0", port: virtualOutboundPort)
        listener.useOriginalDst = Google_Protobuf_BoolValue(true)
        listener.trafficDirection = .outbound
        listener.filterChains = [
            NetworkFilters.filterChain(
                name: "virtualOutbound-catchall-tcp", filters: [NetworkFilters.tcpProxy(to: ClusterName.passthrough)])
        ]
        return listener
    }

    /// An outbound listener that only receives connections handed over by virtualOutbound.
    static func outbound(name: String, address: String, port: Int, chain: Envoy_Config_Listener_V3_FilterChain) -> Self
    {
        var listener = Self()
        listener.name = name
        listener.address = ProtoValues.socketAddress(address, port: port)
        listener.bindToPort = Google_Protobuf_BoolValue(false)
        listener.trafficDirection = .outbound
        listener.filterChains = [chain]
        return listener
    }
}
