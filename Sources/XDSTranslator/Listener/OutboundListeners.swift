import EnvoyAPI
import MeshModel

/// The per-port outbound listeners behind virtualOutbound.
enum OutboundListeners {
    /// `0.0.0.0_<port>` for every port that some service speaks HTTP on: an HttpConnectionManager taking the
    /// route configuration `"<port>"` from RDS, which picks the virtual host by Host header.
    /// Each names the services that speak HTTP on its port.
    static func http(_ context: GenerationContext<ListenerInputs>) -> [TranslatedMessage] {
        var services: [Int: [ResourceKey]] = [:]
        for service in context.visibleServices {
            for port in service.ports where port.protocol.isHTTP {
                services[port.port, default: []].append(service.origin)
            }
        }
        return HTTPPorts.all(in: context).map { port in
            let name = "0.0.0.0_\(port)"
            let manager = NetworkFilters.httpConnectionManager(
                statPrefix: "outbound_\(name)", routes: NetworkFilters.rds(String(port)))
            let listener = Envoy_Config_Listener_V3_Listener.outbound(
                name: name, address: "0.0.0.0", port: port,
                chain: NetworkFilters.filterChain(name: name, filters: [manager]))
            return TranslatedMessage(name: name, message: listener, sources: services[port] ?? [])
        }
    }

    /// Listeners for every non-HTTP service port (TCP, TLS, HTTPS, ...), with the chains of `L4FilterChains`:
    /// - `<vip>_<port>` for each VIP. Exact-address listeners win over `0.0.0.0_<port>`, so a TCP port that shares
    ///   its number with an HTTP port elsewhere still reaches its own cluster.
    /// - `0.0.0.0_<port>` for CIDR addresses (chains matched on `prefix_ranges`) and, as istiod does, for
    ///   ServiceEntry ports without any address (TLS chains told apart by SNI; for plain TCP the first service by
    ///   hostname takes the port). Kubernetes services without a VIP (headless) get none. A port that is an HTTP
    ///   port somewhere keeps its `0.0.0.0_<port>` HTTP listener, and the proxy's own capture ports get none.
    /// Each names the services whose chains it holds and the VirtualServices whose `tcp`/`tls` routes made them.
    static func tcp(_ context: GenerationContext<ListenerInputs>) -> [TranslatedMessage] {
        let builder = L4FilterChains(context)
        let httpPorts = Set(HTTPPorts.all(in: context))
        var listeners: [TranslatedMessage] = []
        var wildcard: [Int: WildcardListener] = [:]
        for service in context.visibleServices {
            for port in service.ports.sorted(by: { $0.port < $1.port }) where !port.protocol.isHTTP {
                let vips = service.addresses.filter { !$0.contains("/") }.sorted()
                let cidrs = service.addresses.filter { $0.contains("/") }.sorted()
                for vip in vips {
                    let name = "\(vip)_\(port.port)"
                    let chains = builder.chains(service, port, destinationCIDRs: [], wildcardBind: false)
                    let listener = Envoy_Config_Listener_V3_Listener.outbound(
                        name: name, address: vip, port: port.port, chains: chains.named(listener: name))
                    listeners.append(
                        TranslatedMessage(
                            name: name, message: listener, sources: [service.origin] + chains.compactMap(\.source)))
                }
                let wantsWildcard = !cidrs.isEmpty || (vips.isEmpty && service.origin.kind == .serviceEntry)
                guard wantsWildcard, !httpPorts.contains(port.port), !HTTPPorts.reserved.contains(port.port) else {
                    continue
                }
                let chains = builder.chains(service, port, destinationCIDRs: cidrs, wildcardBind: true)
                wildcard[port.port, default: WildcardListener()].add(chains, hostname: service.hostname, from: service)
            }
        }
        for (port, entry) in wildcard.sorted(by: { $0.key < $1.key }) {
            let name = "0.0.0.0_\(port)"
            var listener = Envoy_Config_Listener_V3_Listener.outbound(
                name: name, address: "0.0.0.0", port: port, chains: entry.chains)
            if entry.chains.contains(where: { !$0.filterChainMatch.serverNames.isEmpty }) {
                listener.listenerFilters = [NetworkFilters.tlsInspector]
            }
            listeners.append(TranslatedMessage(name: name, message: listener, sources: entry.sources))
        }
        return listeners
    }

    /// The chains several services contribute to one `0.0.0.0_<port>` listener; a chain whose match an earlier
    /// service already claimed is dropped, since Envoy refuses a listener with two identical matches.
    private struct WildcardListener {
        var chains: [Envoy_Config_Listener_V3_FilterChain] = []
        var claimed: Set<String> = []
        /// The services whose chains were kept, and the VirtualServices that made them.
        var sources: [ResourceKey] = []

        mutating func add(_ newChains: [L4FilterChains.Chain], hostname: String, from service: MeshService) {
            for (index, chain) in newChains.enumerated() where claimed.insert(chain.matchKey).inserted {
                chains.append(chain.filterChain(name: index == 0 ? hostname : "\(hostname)#\(index)"))
                sources.append(service.origin)
                if let source = chain.source { sources.append(source) }
            }
        }
    }
}

extension [L4FilterChains.Chain] {
    /// The chains of a `<vip>_<port>` listener: the first keeps the listener's name, as before tcp routes existed.
    func named(listener name: String) -> [Envoy_Config_Listener_V3_FilterChain] {
        var claimed: Set<String> = []
        return enumerated().compactMap { index, chain in
            guard claimed.insert(chain.matchKey).inserted else { return nil }
            return chain.filterChain(name: index == 0 ? name : "\(name)#\(index)")
        }
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

extension Envoy_Config_Listener_V3_Listener {
    /// An outbound listener with several filter chains, only reached through virtualOutbound.
    static func outbound(
        name: String, address: String, port: Int, chains: [Envoy_Config_Listener_V3_FilterChain]
    )
        -> Self
    {
        var listener = outbound(
            name: name, address: address, port: port, chain: NetworkFilters.filterChain(name: name, filters: []))
        listener.filterChains = chains
        return listener
    }
}
