import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// RDS: one route configuration `"<port>"` per HTTP port, with a virtual host per service on that port and the
/// catch-all `allow_any` last.
struct RouteGenerator: ResourceGenerator {
    func resources(for context: GenerationContext) -> [TranslatedMessage] {
        let virtualServices = VirtualServiceIndex(context)
        return HTTPPorts.all(in: context.snapshot).map { port in
            let configuration = routeConfiguration(port: port, context: context, virtualServices: virtualServices)
            return TranslatedMessage(name: configuration.name, message: configuration)
        }
    }

    private func routeConfiguration(
        port: Int, context: GenerationContext, virtualServices: VirtualServiceIndex
    ) -> Envoy_Config_Route_V3_RouteConfiguration {
        var domains = DomainSet()
        var hosts: [Envoy_Config_Route_V3_VirtualHost] = []
        for service in context.snapshot.services {
            guard let servicePort = service.port(port), servicePort.protocol.isHTTP else { continue }
            let hostDomains = domains.claim(
                VirtualHostDomains.domains(for: service, port: port, proxyNamespace: context.proxy.namespace))
            guard !hostDomains.isEmpty else { continue }
            var host = Envoy_Config_Route_V3_VirtualHost()
            host.name = "\(service.hostname):\(port)"
            host.domains = hostDomains
            host.routes = routes(for: service, port: port, context: context, virtualServices: virtualServices)
            hosts.append(host)
        }
        hosts.sort { $0.name < $1.name }
        let catchAll = domains.claim(["*"])
        if !catchAll.isEmpty { hosts.append(allowAny(domains: catchAll)) }

        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = String(port)
        configuration.virtualHosts = hosts
        // Routes may name clusters CDS does not have (an unknown subset); Envoy then answers 503 for those
        // requests instead of rejecting the whole configuration.
        configuration.validateClusters = Google_Protobuf_BoolValue(false)
        return configuration
    }

    /// The VirtualService's routes when one binds the host for the mesh, else one `default` route to the
    /// service port's cluster.
    private func routes(
        for service: MeshService, port: Int, context: GenerationContext, virtualServices: VirtualServiceIndex
    ) -> [Envoy_Config_Route_V3_Route] {
        if let virtualService = virtualServices.first(for: service.hostname) {
            let translator = VirtualServiceRoutes(
                snapshot: context.snapshot, virtualService: virtualService, port: port)
            let routes = translator.routes()
            if !routes.isEmpty { return routes }
        }
        return [
            RouteBuilder.prefixRoute(
                name: "default", toCluster: ClusterName.outbound(port: port, hostname: service.hostname))
        ]
    }

    /// `allow_any`: any other Host goes to where the client was connecting (Istio's ALLOW_ANY outbound policy).
    private func allowAny(domains: [String]) -> Envoy_Config_Route_V3_VirtualHost {
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "allow_any"
        host.domains = domains
        host.routes = [RouteBuilder.prefixRoute(name: "allow_any", toCluster: ClusterName.passthrough)]
        return host
    }
}
