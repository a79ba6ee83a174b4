import EnvoyAPI
import SwiftProtobuf

/// The network filters the listeners use, with Envoy's well-known filter names.
enum NetworkFilters {
    static let tcpProxyName = "envoy.filters.network.tcp_proxy"
    static let httpConnectionManagerName = "envoy.filters.network.http_connection_manager"
    static let routerName = "envoy.filters.http.router"
    static let originalDstName = "envoy.filters.listener.original_dst"
    static let tlsInspectorName = "envoy.filters.listener.tls_inspector"

    /// tcp_proxy to one cluster; the stat prefix is the cluster name, as Istio does.
    static func tcpProxy(to cluster: String) -> Envoy_Config_Listener_V3_Filter {
        var proxy = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy()
        proxy.statPrefix = cluster
        proxy.cluster = cluster
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = tcpProxyName
        filter.typedConfig = packAny(proxy)
        return filter
    }

    /// An HttpConnectionManager with codec AUTO and the router as its only HTTP filter. With `setClientCert`
    /// (inbound mutual TLS), any x-forwarded-client-cert from the client is replaced by the verified peer's
    /// identity, so the backend can trust it; otherwise Envoy's default strips the header.
    static func httpConnectionManager(
        statPrefix: String,
        routes: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.OneOf_RouteSpecifier,
        setClientCert: Bool = false
    ) -> Envoy_Config_Listener_V3_Filter {
        var manager = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager()
        manager.codecType = .auto
        manager.statPrefix = statPrefix
        manager.routeSpecifier = routes
        if setClientCert {
            manager.forwardClientCertDetails = .sanitizeSet
            var details = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
                .SetCurrentClientCertDetails()
            details.subject = Google_Protobuf_BoolValue(true)
            details.dns = true
            details.uri = true
            manager.setCurrentClientCertDetails = details
        }
        var router = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        router.name = routerName
        router.typedConfig = packAny(Envoy_Extensions_Filters_Http_Router_V3_Router())
        manager.httpFilters = [router]
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = httpConnectionManagerName
        filter.typedConfig = packAny(manager)
        return filter
    }

    /// Routes fetched over RDS (ADS, v3) under `name`.
    static func rds(_ name: String)
        -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.OneOf_RouteSpecifier
    {
        var rds = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_Rds()
        rds.configSource = ProtoValues.ads
        rds.routeConfigName = name
        return .rds(rds)
    }

    static func filterChain(name: String, filters: [Envoy_Config_Listener_V3_Filter])
        -> Envoy_Config_Listener_V3_FilterChain
    {
        var chain = Envoy_Config_Listener_V3_FilterChain()
        chain.name = name
        chain.filters = filters
        return chain
    }
}
