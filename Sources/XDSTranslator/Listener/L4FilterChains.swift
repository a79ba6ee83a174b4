import EnvoyAPI
import MeshModel

/// Filter chains of an outbound listener for one non-HTTP service port, as istiod builds them
/// (buildSidecarOutboundTCPFilterChainOpts / buildSidecarOutboundTLSFilterChainOpts):
///
/// - TLS and HTTPS ports: one chain per `tls` route match that applies to this proxy, matched at run time on
///   `server_names` (the match's sniHosts) and, when given, `prefix_ranges` (destinationSubnets); a match whose
///   runtime predicates repeat an earlier one is unreachable and left out. Without any, one chain to the service's
///   own cluster, matched on the service hostname as SNI when the listener is bound to 0.0.0.0.
/// - Other ports: `tcp` routes in order. A route without match blocks, or whose applicable match has no
///   destinationSubnets, is the listener's catch-all and ends the list; matches with subnets become chains on
///   `prefix_ranges`. Without a catch-all, one chain to the service's own cluster.
///
/// Static predicates (port, sourceLabels, sourceNamespace, gateways) are evaluated here against the proxy.
struct L4FilterChains {
    /// One chain with its runtime match, before it is named and turned into Envoy's message.
    struct Chain: Sendable {
        var serverNames: [String] = []
        var prefixRanges: [String] = []
        var filter: Envoy_Config_Listener_V3_Filter
        /// The VirtualService whose route made the chain; nil for the service's own default chain.
        var source: ResourceKey? = nil

        /// Two chains with one key would make Envoy refuse the listener; the first one wins.
        var matchKey: String { serverNames.joined(separator: ",") + "|" + prefixRanges.joined(separator: ",") }
    }

    let context: GenerationContext<ListenerInputs>
    let virtualServices: VirtualServiceIndex
    /// The labels `sourceLabels` are matched against: the proxy's own workload's, else the node's.
    let proxyLabels: [String: String]

    init(_ context: GenerationContext<ListenerInputs>) {
        self.context = context
        self.virtualServices = VirtualServiceIndex(context)
        self.proxyLabels = context.inputs.workloadLabels
    }

    /// The chains for `service`'s `port`. `destinationCIDRs` are the service's CIDR addresses (listener on
    /// 0.0.0.0); `wildcardBind` says the listener is `0.0.0.0_<port>`.
    func chains(
        _ service: MeshService, _ port: MeshServicePort, destinationCIDRs: [String], wildcardBind: Bool
    )
        -> [Chain]
    {
        let virtualService = virtualServices.first(for: service.hostname)
        if port.protocol == .tls || port.protocol == .https {
            return tlsChains(
                service, port, virtualService, destinationCIDRs: destinationCIDRs, wildcardBind: wildcardBind)
        }
        return tcpChains(service, port, virtualService, destinationCIDRs: destinationCIDRs)
    }

    private func tlsChains(
        _ service: MeshService, _ port: MeshServicePort, _ virtualService: VirtualService?, destinationCIDRs: [String],
        wildcardBind: Bool
    ) -> [Chain] {
        var chains: [Chain] = []
        var handled: Set<String> = []
        for route in virtualService?.tls ?? [] {
            for match in route.match where applies(match, port: port.port) {
                let cidrs = match.destinationSubnets.isEmpty ? destinationCIDRs : match.destinationSubnets
                let key = match.sniHosts.joined(separator: ",") + "|" + match.destinationSubnets.joined(separator: ",")
                guard handled.insert(key).inserted, let virtualService else { continue }
                chains.append(
                    Chain(
                        serverNames: match.sniHosts, prefixRanges: cidrs,
                        filter: proxy(route.route, listenPort: port.port, in: virtualService),
                        source: virtualService.sourceKey))
            }
        }
        if chains.isEmpty {
            let sni = !destinationCIDRs.isEmpty || wildcardBind ? [service.hostname] : []
            chains.append(Chain(serverNames: sni, prefixRanges: destinationCIDRs, filter: ownCluster(service, port)))
        }
        return chains
    }

    private func tcpChains(
        _ service: MeshService, _ port: MeshServicePort, _ virtualService: VirtualService?, destinationCIDRs: [String]
    ) -> [Chain] {
        var chains: [Chain] = []
        if let virtualService {
            for route in virtualService.tcp {
                let filter = proxy(route.route, listenPort: port.port, in: virtualService)
                let applicable = route.match.filter { applies($0, port: port.port) }
                if route.match.isEmpty || applicable.contains(where: \.destinationSubnets.isEmpty) {
                    chains.append(
                        Chain(prefixRanges: destinationCIDRs, filter: filter, source: virtualService.sourceKey))
                    return chains
                }
                let subnets = applicable.flatMap(\.destinationSubnets)
                if !subnets.isEmpty {
                    chains.append(Chain(prefixRanges: subnets, filter: filter, source: virtualService.sourceKey))
                    // The service's own default chain would repeat this match exactly; Envoy refuses duplicates.
                    if subnets.sorted() == destinationCIDRs.sorted() { return chains }
                }
            }
        }
        chains.append(Chain(prefixRanges: destinationCIDRs, filter: ownCluster(service, port)))
        return chains
    }

    /// tcp_proxy to the service port's own cluster, with the cluster name as stat prefix.
    private func ownCluster(_ service: MeshService, _ port: MeshServicePort) -> Envoy_Config_Listener_V3_Filter {
        NetworkFilters.tcpProxy(to: ClusterName.outbound(port: port.port, hostname: service.hostname))
    }

    /// tcp_proxy for a route's destinations: one cluster, or weighted clusters with the VirtualService's
    /// `<name>.<namespace>` as stat prefix. Destinations with weight 0 get no traffic and are left out (Envoy
    /// requires weights of at least 1).
    private func proxy(
        _ routes: [RouteDestination], listenPort: Int, in virtualService: VirtualService
    )
        -> Envoy_Config_Listener_V3_Filter
    {
        let namespace = virtualService.meta.namespace
        if routes.count == 1, let only = routes.first {
            return NetworkFilters.tcpProxy(to: cluster(only.destination, listenPort: listenPort, namespace: namespace))
        }
        let clusters = routes.filter { $0.weight > 0 }.map { route in
            (name: cluster(route.destination, listenPort: listenPort, namespace: namespace), weight: route.weight)
        }
        return NetworkFilters.tcpProxy(
            weighted: clusters, statPrefix: "\(virtualService.meta.name).\(namespace)")
    }

    /// istiod's GetDestinationCluster: the destination's port, else the destination service's only port, else the
    /// listener's port.
    private func cluster(_ destination: Destination, listenPort: Int, namespace: String) -> String {
        let hostname = Hostname.resolve(destination.host, namespace: namespace)
        var port = listenPort
        if let explicit = destination.port {
            port = explicit
        } else if let target = context.snapshot.servicesByHostname[hostname], target.ports.count == 1,
            let only = target.ports.first
        {
            port = only.port
        }
        return ClusterName.outbound(port: port, subset: destination.subset, hostname: hostname)
    }

    private func applies(_ match: L4MatchAttributes, port: Int) -> Bool {
        staticMatch(
            port: match.port, sourceLabels: match.sourceLabels, sourceNamespace: match.sourceNamespace,
            gateways: match.gateways, listenPort: port)
    }

    private func applies(_ match: TLSMatchAttributes, port: Int) -> Bool {
        staticMatch(
            port: match.port, sourceLabels: match.sourceLabels, sourceNamespace: match.sourceNamespace,
            gateways: match.gateways, listenPort: port)
    }

    /// A sidecar is the `mesh` gateway; port 0 or nil means any port.
    private func staticMatch(
        port: Int?, sourceLabels: [String: String], sourceNamespace: String?, gateways: [String], listenPort: Int
    ) -> Bool {
        let gatewayMatch = gateways.isEmpty || gateways.contains("mesh")
        let labelMatch = sourceLabels.allSatisfy { proxyLabels[$0.key] == $0.value }
        let portMatch = (port ?? 0) == 0 || port == listenPort
        let namespaceMatch = (sourceNamespace ?? "").isEmpty || sourceNamespace == context.inputs.namespace
        return gatewayMatch && labelMatch && portMatch && namespaceMatch
    }
}

extension L4FilterChains.Chain {
    /// The Envoy filter chain named `name`, with its runtime match.
    func filterChain(name: String) -> Envoy_Config_Listener_V3_FilterChain {
        var chain = NetworkFilters.filterChain(name: name, filters: [filter])
        if !serverNames.isEmpty || !prefixRanges.isEmpty {
            var match = Envoy_Config_Listener_V3_FilterChainMatch()
            match.serverNames = serverNames
            match.prefixRanges = prefixRanges.map(NetworkFilters.cidrRange)
            chain.filterChainMatch = match
        }
        return chain
    }
}
