import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// RDS: one route configuration `"<port>"` per HTTP port, with a virtual host per service on that port and the
/// catch-all `allow_any` last.
struct RouteGenerator: ResourceGenerator {
    /// Routes read DestinationRules (consistent-hash policies, subsets) and, for routers, their Gateways.
    static let dependencies = ConfigDependencies(
        kinds: ConfigDependencies.scoping.union([.destinationRule, .gateway, .envoyFilter]), meshConfig: true,
        fetchedJWKS: false,
        endpoints: .none)

    func resources(for context: GenerationContext<RouteInputs>) -> [TranslatedMessage] {
        // Routers (gateways) get the route configurations of their Gateway servers instead (Gateway/).
        if context.inputs.kind == .router { return GatewayRoutes.resources(for: context) }
        let virtualServices = VirtualServiceIndex(context)
        // A Sidecar that selects the proxy decides which services (and virtual hosts) it imports.
        let sidecar = context.inputs.sidecar.map { [$0.key] } ?? []
        return HTTPPorts.all(in: context).map { port in
            var sources = sidecar
            let configuration = routeConfiguration(
                port: port, context: context, virtualServices: virtualServices, sources: &sources)
            return TranslatedMessage(name: configuration.name, message: configuration, sources: sources)
        }
    }

    /// `sources` gains the services given a virtual host and what shaped their routes.
    private func routeConfiguration(
        port: Int, context: GenerationContext<RouteInputs>, virtualServices: VirtualServiceIndex,
        sources: inout [ResourceKey]
    ) -> Envoy_Config_Route_V3_RouteConfiguration {
        var domains = DomainSet()
        var hosts: [Envoy_Config_Route_V3_VirtualHost] = []
        for service in context.visibleServices {
            guard let servicePort = service.port(port), servicePort.protocol.isHTTP else { continue }
            let hostDomains = domains.claim(
                VirtualHostDomains.domains(for: service, port: port, proxyNamespace: context.inputs.namespace))
            guard !hostDomains.isEmpty else { continue }
            var host = Envoy_Config_Route_V3_VirtualHost()
            host.name = "\(service.hostname):\(port)"
            host.domains = hostDomains
            host.routes = routes(
                for: service, port: port, context: context, virtualServices: virtualServices, sources: &sources)
            hosts.append(host)
            sources.append(service.origin)
        }
        hosts.sort { $0.name < $1.name }
        let catchAll = domains.claim(["*"])
        if !catchAll.isEmpty {
            hosts.append(
                CatchAllVirtualHost.make(domains: catchAll, policy: context.sidecarScope.outboundTrafficPolicy))
        }

        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = String(port)
        configuration.virtualHosts = hosts
        // Routes may name clusters CDS does not have (an unknown subset); Envoy then answers 503 for those
        // requests instead of rejecting the whole configuration.
        configuration.validateClusters = Google_Protobuf_BoolValue(false)
        // Direct responses may carry up to 1 MiB (istiod's limit) instead of Envoy's default 4 KiB.
        configuration.maxDirectResponseBodySizeBytes = ProtoValues.uint32(
            RedirectTranslation.maxDirectResponseBodyBytes)
        return configuration
    }

    /// The VirtualService's routes when one binds the host for the mesh, else one `default` route to the
    /// service port's cluster. `sources` gains the VirtualService (and its delegates) whose routes are used, or the
    /// DestinationRule whose consistent hash the default route takes.
    private func routes(
        for service: MeshService, port: Int, context: GenerationContext<RouteInputs>,
        virtualServices: VirtualServiceIndex,
        sources: inout [ResourceKey]
    ) -> [Envoy_Config_Route_V3_Route] {
        if let virtualService = virtualServices.first(for: service.hostname) {
            let routes = VirtualServiceRoutes(context: context, virtualService: virtualService, port: port).routes()
            if !routes.isEmpty {
                sources += VirtualServiceDelegation.sources(of: virtualService, in: context.snapshot)
                return routes
            }
        }
        var route = RouteBuilder.defaultOutboundRoute(
            toCluster: ClusterName.outbound(port: port, hostname: service.hostname))
        route.route.hashPolicy = HashPolicy.policies(
            forService: service.hostname, port: port, snapshot: context.snapshot,
            clientNamespace: context.inputs.namespace)
        if !route.route.hashPolicy.isEmpty, let rule = context.destinationRule(for: service.hostname) {
            sources.append(rule.sourceKey)
        }
        return [route]
    }
}
