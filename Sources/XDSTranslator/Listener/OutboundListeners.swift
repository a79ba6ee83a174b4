import EnvoyAPI
import MeshModel

/// The per-port outbound listeners behind virtualOutbound.
enum OutboundListeners {
    /// `0.0.0.0_<port>` for every port that some service speaks HTTP on: an HttpConnectionManager taking the
    /// route configuration `"<port>"` from RDS, which picks the virtual host by Host header.
    static func http(_ context: GenerationContext) -> [Envoy_Config_Listener_V3_Listener] {
        HTTPPorts.all(in: context.snapshot).map { port in
            let name = "0.0.0.0_\(port)"
            let manager = NetworkFilters.httpConnectionManager(
                statPrefix: "outbound_\(name)", routes: NetworkFilters.rds(String(port)))
            return .outbound(
                name: name, address: "0.0.0.0", port: port,
                chain: NetworkFilters.filterChain(name: name, filters: [manager]))
        }
    }

    /// `<vip>_<port>` for every TCP service port and VIP: tcp_proxy straight to the service's cluster.
    /// Exact-address listeners win over `0.0.0.0_<port>`, so a TCP port that shares its number with an HTTP
    /// port elsewhere still reaches its own cluster. Services without a VIP get none.
    static func tcp(_ context: GenerationContext) -> [Envoy_Config_Listener_V3_Listener] {
        var listeners: [Envoy_Config_Listener_V3_Listener] = []
        for service in context.snapshot.services {
            for port in service.ports.sorted(by: { $0.port < $1.port }) where !port.protocol.isHTTP {
                let cluster = ClusterName.outbound(port: port.port, hostname: service.hostname)
                for vip in service.addresses.sorted() {
                    let name = "\(vip)_\(port.port)"
                    listeners.append(
                        .outbound(
                            name: name, address: vip, port: port.port,
                            chain: NetworkFilters.filterChain(
                                name: name, filters: [NetworkFilters.tcpProxy(to: cluster)])))
                }
            }
        }
        return listeners
    }
}

/// The port numbers on which at least one service speaks an HTTP-family protocol: one outbound HTTP listener
/// and one route configuration each.
enum HTTPPorts {
    /// The proxy's own capture ports. Envoy rejects the whole LDS update if `0.0.0.0_15001` sits next to
    /// virtualOutbound (duplicate address), so, as Istio does, such service ports get no HTTP listener.
    static let reserved: Set<Int> = [
        Envoy_Config_Listener_V3_Listener.virtualOutboundPort, Envoy_Config_Listener_V3_Listener.virtualInboundPort,
    ]

    static func all(in snapshot: MeshSnapshot) -> [Int] {
        Set(snapshot.services.flatMap { $0.ports.filter(\.protocol.isHTTP).map(\.port) })
            .subtracting(reserved)
            .sorted()
    }
}
