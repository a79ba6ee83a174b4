import EnvoyAPI
import MeshModel

/// The last virtual host of every outbound route configuration, for Host headers no service claims.
enum CatchAllVirtualHost {
    /// `allow_any` (ALLOW_ANY): forward to where the client was connecting, through `PassthroughCluster`.
    /// `block_all` (REGISTRY_ONLY): answer 502 without leaving the proxy, as istiod does.
    static func make(
        domains: [String], policy: OutboundTrafficPolicyMode
    )
        -> Envoy_Config_Route_V3_VirtualHost
    {
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.domains = domains
        switch policy {
        case .allowAny:
            host.name = "allow_any"
            host.routes = [
                RouteBuilder.prefixRoute(name: "allow_any", toCluster: ClusterName.passthrough)
            ]
        case .registryOnly:
            host.name = "block_all"
            var match = Envoy_Config_Route_V3_RouteMatch()
            match.prefix = "/"
            var direct = Envoy_Config_Route_V3_DirectResponseAction()
            direct.status = 502
            var route = Envoy_Config_Route_V3_Route()
            route.name = "block_all"
            route.match = match
            route.directResponse = direct
            host.routes = [route]
        }
        return host
    }
}
