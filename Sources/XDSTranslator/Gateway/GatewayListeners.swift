import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// LDS for a router (node id `router~...`): one listener `<bind>_<port>` (bind `0.0.0.0` by default) per port of
/// the Gateways that select the proxy by its labels, as istiod's `buildGatewayListeners` builds them.
///
/// - HTTP servers: one chain, an HTTP connection manager with RDS `http.<port>`.
/// - HTTPS servers that terminate TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL): a chain per server, matched
///   on its hosts as SNI (`*` matches any), with the server's TLS context (certificates over SDS, never inline) and
///   an HTTP connection manager with the server's own RDS name.
/// - PASSTHROUGH servers (HTTPS or TLS): a chain per `tls` route match of the bound VirtualServices, matched on its
///   `sniHosts`, with a tcp_proxy to the route's destinations.
/// - TLS servers that terminate TLS, and TCP servers: the first matching `tcp` route of the bound VirtualServices.
/// A listener with no chain is left out; the tls_inspector is added when a chain matches on SNI or ALPN.
enum GatewayListeners {
    static func resources(for context: GenerationContext<ListenerInputs>) -> [TranslatedMessage] {
        let authorization = AuthorizationPlan.of(context)
        return context.mergedGateway.ports.compactMap { port in
            var sources = authorization.sources
            guard let listener = listener(port, context, authorization: authorization, sources: &sources) else {
                return nil
            }
            return TranslatedMessage(name: listener.name, message: listener, sources: sources)
        }
    }

    /// A chain before it becomes Envoy's message.
    struct Chain {
        var serverNames: [String] = []
        var tls: ServerTLSSettings?
        var filters: [Envoy_Config_Listener_V3_Filter]
        /// The VirtualService whose `tcp` or `tls` route made the chain's tcp_proxy.
        var source: ResourceKey? = nil
    }

    /// `authorization`: the gateway's AuthorizationPolicies and RequestAuthentications (selected by its labels), as
    /// HTTP filters in every connection manager and as network filters before every tcp_proxy. `sources` gains the
    /// Gateways of the port's servers and the VirtualServices whose routes made chains.
    static func listener(
        _ port: MergedGateway.Port, _ context: GenerationContext<ListenerInputs>,
        authorization: AuthorizationPlan = .empty,
        sources: inout [ResourceKey]
    ) -> Envoy_Config_Listener_V3_Listener? {
        var chains: [Chain] = []
        switch port.kind {
        case .http:
            chains = [
                Chain(filters: [
                    httpConnectionManager(
                        rds: "http.\(port.number)", statPrefix: "outbound_\(port.listenerName)",
                        securityFilters: authorization.httpFilters)
                ])
            ]
        case .https, .tls, .tcp:
            for entry in port.servers {
                chains += self.chains(for: entry, port: port, context, securityFilters: authorization.httpFilters)
            }
        case .unknown:
            break
        }
        guard !chains.isEmpty else { return nil }
        sources += port.servers.map(\.gateway.sourceKey) + chains.compactMap(\.source)
        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = port.listenerName
        listener.address = ProtoValues.socketAddress(port.bind, port: port.number)
        listener.trafficDirection = .outbound
        if chains.contains(where: { !$0.serverNames.isEmpty || $0.tls != nil }) {
            listener.listenerFilters = [NetworkFilters.tlsInspector]
        }
        listener.filterChains = chains.map { chain in
            var filterChain = Envoy_Config_Listener_V3_FilterChain()
            let isTCP = chain.filters.contains { $0.name == NetworkFilters.tcpProxyName }
            filterChain.filters = isTCP ? authorization.networkFilters + chain.filters : chain.filters
            if !chain.serverNames.isEmpty {
                var match = Envoy_Config_Listener_V3_FilterChainMatch()
                match.serverNames = chain.serverNames
                filterChain.filterChainMatch = match
            }
            if let tls = chain.tls { filterChain.transportSocket = GatewayTLS.transportSocket(tls) }
            return filterChain
        }
        return listener
    }

    /// The chains of one HTTPS, TLS or TCP server.
    static func chains(
        for entry: MergedGateway.Server, port: MergedGateway.Port, _ context: GenerationContext<ListenerInputs>,
        securityFilters: [Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter] = []
    ) -> [Chain] {
        let server = entry.server
        let sni = entry.sniHosts.contains("*") ? [] : entry.sniHosts
        guard let tls = server.tls else {
            return tcpRoute(entry, context).map { [Chain(filters: [$0.filter], source: $0.source)] } ?? []
        }
        if entry.isPassthrough {
            return tls.mode == .passthrough ? passthroughChains(entry, context) : []
        }
        if let routeName = entry.routeName {
            let statPrefix = server.name.flatMap { $0.isEmpty ? nil : $0 } ?? "outbound_\(port.listenerName)"
            let manager = httpConnectionManager(
                rds: routeName, statPrefix: statPrefix, securityFilters: securityFilters)
            return [Chain(serverNames: sni, tls: tls, filters: [manager])]
        }
        return tcpRoute(entry, context).map {
            [Chain(serverNames: sni, tls: tls, filters: [$0.filter], source: $0.source)]
        } ?? []
    }

    /// PASSTHROUGH: a chain per `tls` route match of a bound VirtualService whose hosts meet the server's, on the
    /// match's `sniHosts`. A match repeating SNI names already routed on this server is skipped.
    static func passthroughChains(
        _ entry: MergedGateway.Server, _ context: GenerationContext<ListenerInputs>
    ) -> [Chain] {
        var chains: [Chain] = []
        var used: Set<String> = []
        for virtualService in boundVirtualServices(entry, context) {
            for route in virtualService.tls where !route.route.isEmpty {
                for match in route.match
                where l4Matches(port: match.port, gateways: match.gateways, entry, virtualService) {
                    let names = match.sniHosts.map { $0.lowercased() }
                    guard used.isDisjoint(with: names) else { continue }
                    used.formUnion(names)
                    chains.append(
                        Chain(
                            serverNames: names, filters: [tcpProxy(route.route, entry, virtualService, context)],
                            source: virtualService.sourceKey))
                }
            }
        }
        return chains
    }

    /// The tcp_proxy of the first `tcp` route (of the bound VirtualServices) whose match applies to this server.
    static func tcpFilter(
        _ entry: MergedGateway.Server, _ context: GenerationContext<ListenerInputs>
    ) -> Envoy_Config_Listener_V3_Filter? {
        tcpRoute(entry, context)?.filter
    }

    /// `tcpFilter`, with the VirtualService whose route it is.
    static func tcpRoute(
        _ entry: MergedGateway.Server, _ context: GenerationContext<ListenerInputs>
    )
        -> (filter: Envoy_Config_Listener_V3_Filter, source: ResourceKey)?
    {
        for virtualService in boundVirtualServices(entry, context) {
            for route in virtualService.tcp where !route.route.isEmpty {
                let applies =
                    route.match.isEmpty
                    || route.match.contains { l4Matches(port: $0.port, gateways: $0.gateways, entry, virtualService) }
                if applies { return (tcpProxy(route.route, entry, virtualService, context), virtualService.sourceKey) }
            }
        }
        return nil
    }

    /// The VirtualServices bound to the server's Gateway whose hosts meet the server's hosts.
    static func boundVirtualServices(
        _ entry: MergedGateway.Server, _ context: GenerationContext<ListenerInputs>
    ) -> [VirtualService] {
        context.snapshot.virtualServices(boundTo: entry.gateway.qualifiedName).filter { virtualService in
            let namespace = virtualService.meta.namespace
            let serverHosts = GatewayHosts.serverHosts(
                entry.server.hosts, forNamespace: namespace, gatewayNamespace: entry.gateway.meta.namespace)
            let hosts = virtualService.hosts.map { GatewayHosts.resolve($0, namespace: namespace) }
            return !GatewayHosts.intersection(serverHosts, hosts).isEmpty
        }
    }

    /// istiod's `l4SingleMatch` for gateways: the port, if set, is the server's; the gateways, if set, name this one.
    static func l4Matches(
        port: Int?, gateways: [String], _ entry: MergedGateway.Server, _ virtualService: VirtualService
    )
        -> Bool
    {
        let portMatch = (port ?? 0) == 0 || port == entry.server.port.number
        let gatewayMatch =
            gateways.isEmpty
            || gateways.contains {
                MeshSnapshot.resolveGatewayName($0, namespace: virtualService.meta.namespace)
                    == entry.gateway.qualifiedName
            }
        return portMatch && gatewayMatch
    }

    /// tcp_proxy to the route's destinations: one cluster (its name as stat prefix), or weighted clusters.
    static func tcpProxy(
        _ routes: [RouteDestination], _ entry: MergedGateway.Server, _ virtualService: VirtualService,
        _ context: GenerationContext<ListenerInputs>
    ) -> Envoy_Config_Listener_V3_Filter {
        let namespace = virtualService.meta.namespace
        let cluster = { (destination: Destination) -> String in
            let hostname = Hostname.resolve(destination.host, namespace: namespace)
            let ports = context.snapshot.servicesByHostname[hostname]?.ports ?? []
            let port = destination.port ?? (ports.count == 1 ? ports[0].port : entry.server.port.number)
            return ClusterName.outbound(port: port, subset: destination.subset, hostname: hostname)
        }
        if routes.count == 1, let only = routes.first { return NetworkFilters.tcpProxy(to: cluster(only.destination)) }
        let weighted = routes.filter { $0.weight > 0 }.map { (name: cluster($0.destination), weight: $0.weight) }
        return NetworkFilters.tcpProxy(weighted: weighted, statPrefix: "\(virtualService.meta.name).\(namespace)")
    }

    /// The gateway HTTP connection manager: RDS, the client address trusted (`use_remote_address`), and
    /// x-forwarded-client-cert sanitised and set from a verified client certificate, as istiod configures gateways.
    static func httpConnectionManager(
        rds name: String, statPrefix: String,
        securityFilters: [Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter] = []
    ) -> Envoy_Config_Listener_V3_Filter {
        typealias Manager = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
        var manager = Manager()
        manager.codecType = .auto
        manager.statPrefix = statPrefix
        manager.routeSpecifier = NetworkFilters.rds(name)
        manager.useRemoteAddress = Google_Protobuf_BoolValue(true)
        manager.forwardClientCertDetails = .sanitizeSet
        var details = Manager.SetCurrentClientCertDetails()
        details.subject = Google_Protobuf_BoolValue(true)
        details.cert = true
        details.dns = true
        details.uri = true
        manager.setCurrentClientCertDetails = details
        var router = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        router.name = NetworkFilters.routerName
        router.typedConfig = packAny(Envoy_Extensions_Filters_Http_Router_V3_Router())
        manager.httpFilters = securityFilters + [router]
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = NetworkFilters.httpConnectionManagerName
        filter.typedConfig = packAny(manager)
        return filter
    }
}
