import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// RDS for a router: one route configuration per gateway route name (`http.<port>` for HTTP servers,
/// `https.<port>.<portName>.<gateway>.<namespace>` for HTTPS servers that terminate TLS), as istiod's
/// `buildGatewayHTTPRouteConfig` builds them.
///
/// A virtual host per host name that a server and a bound VirtualService have in common (the more specific of
/// each matching pair), named `<host>:<port>`, with the VirtualService's routes. VirtualServices bind a Gateway
/// through their `gateways` field; a server host `ns/host` only admits VirtualServices of `ns` (`*` any, `.` the
/// Gateway's own). `httpsRedirect` sets `require_tls: ALL`, also on hosts no VirtualService routes. Without any
/// virtual host, `blackhole:<port>` answers 404 to everything.
enum GatewayRoutes {
    static func resources(for context: GenerationContext<RouteInputs>) -> [TranslatedMessage] {
        let merged = context.mergedGateway
        return merged.routeNames.map { name in
            var sources: [ResourceKey] = []
            let configuration = routeConfiguration(
                name: name, servers: merged.servers(routeName: name), context, sources: &sources)
            return TranslatedMessage(name: configuration.name, message: configuration, sources: sources)
        }
    }

    /// `sources` gains the servers' Gateways and the bound VirtualServices (with their delegates) that give routes.
    static func routeConfiguration(
        name: String, servers: [MergedGateway.Server], _ context: GenerationContext<RouteInputs>,
        sources: inout [ResourceKey]
    ) -> Envoy_Config_Route_V3_RouteConfiguration {
        var order: [String] = []
        var hosts: [String: Envoy_Config_Route_V3_VirtualHost] = [:]
        var routesByVirtualService: [String: [Envoy_Config_Route_V3_Route]] = [:]
        for entry in servers {
            let port = entry.server.port.number
            let redirect = entry.server.tls?.httpsRedirect == true
            let gatewayName = entry.gateway.qualifiedName
            sources.append(entry.gateway.sourceKey)
            for virtualService in context.snapshot.virtualServices(boundTo: gatewayName) {
                let namespace = virtualService.meta.namespace
                let serverHosts = GatewayHosts.serverHosts(
                    entry.server.hosts, forNamespace: namespace, gatewayNamespace: entry.gateway.meta.namespace)
                let virtualServiceHosts = virtualService.hosts.map { GatewayHosts.resolve($0, namespace: namespace) }
                let common = GatewayHosts.intersection(serverHosts, virtualServiceHosts)
                guard !common.isEmpty else { continue }
                let key = "\(gatewayName)|\(namespace)/\(virtualService.meta.name)|\(port)"
                let routes =
                    routesByVirtualService[key]
                    ?? VirtualServiceRoutes(
                        context: context, virtualService: virtualService, port: port, gatewayNames: [gatewayName],
                        isTLS: entry.server.tls != nil
                    ).routes()
                routesByVirtualService[key] = routes
                sources += VirtualServiceDelegation.sources(of: virtualService, in: context.snapshot)
                for host in common {
                    if hosts[host] == nil {
                        order.append(host)
                        hosts[host] = virtualHost(host, port: port)
                    }
                    hosts[host]?.routes += routes
                    if redirect { hosts[host]?.requireTls = .all }
                }
            }
            guard redirect else { continue }
            for host in entry.server.hosts.map({ GatewayHosts.dnsName($0).lowercased() }) {
                if hosts[host] == nil {
                    order.append(host)
                    hosts[host] = virtualHost(host, port: port)
                }
                hosts[host]?.requireTls = .all
            }
        }
        var virtualHosts = order.compactMap { hosts[$0] }.sorted { $0.name < $1.name }
        if virtualHosts.isEmpty {
            var blackhole = Envoy_Config_Route_V3_VirtualHost()
            blackhole.name = "blackhole:\(servers.first?.server.port.number ?? 0)"
            blackhole.domains = ["*"]
            virtualHosts = [blackhole]
        }
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = name
        configuration.virtualHosts = virtualHosts
        configuration.validateClusters = Google_Protobuf_BoolValue(false)
        configuration.ignorePortInHostMatching = true
        return configuration
    }

    private static func virtualHost(_ host: String, port: Int) -> Envoy_Config_Route_V3_VirtualHost {
        var virtualHost = Envoy_Config_Route_V3_VirtualHost()
        virtualHost.name = "\(host):\(port)"
        virtualHost.domains = [host]
        return virtualHost
    }
}
