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

    /// An HttpConnectionManager with codec AUTO and the HTTP filters `securityFilters` (authentication and
    /// authorization, see `AuthorizationPlan`), fault, CORS and router. With `setClientCert`
    /// (inbound mutual TLS), any x-forwarded-client-cert from the client is replaced by the verified peer's
    /// identity, so the backend can trust it; otherwise Envoy's default strips the header.
    static func httpConnectionManager(
        statPrefix: String,
        routes: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.OneOf_RouteSpecifier,
        setClientCert: Bool = false,
        securityFilters: [Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter] = []
    ) -> Envoy_Config_Listener_V3_Filter {
        var manager = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager()
        manager.codecType = .auto
        manager.statPrefix = statPrefix
        manager.routeSpecifier = routes
        if setClientCert {
            manager.forwardClientCertDetails = .sanitizeSet
            var details =
                Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
                .SetCurrentClientCertDetails()
            details.subject = Google_Protobuf_BoolValue(true)
            details.dns = true
            details.uri = true
            manager.setCurrentClientCertDetails = details
        }
        var router = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        router.name = routerName
        router.typedConfig = packAny(Envoy_Extensions_Filters_Http_Router_V3_Router())
        // Fault and CORS sit empty before the router, as istiod installs them: routes turn them on through
        // typed_per_filter_config (VirtualService `fault` and `corsPolicy`).
        manager.httpFilters = securityFilters + [faultFilter, corsFilter, router]
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = httpConnectionManagerName
        filter.typedConfig = packAny(manager)
        return filter
    }

    /// `envoy.filters.http.fault` with no faults of its own.
    static var faultFilter: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter {
        var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        filter.name = FaultTranslation.filterName
        filter.typedConfig = packAny(Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault())
        return filter
    }

    /// `envoy.filters.http.cors`; policies come per route.
    static var corsFilter: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter {
        var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        filter.name = CORSTranslation.filterName
        filter.typedConfig = packAny(Envoy_Extensions_Filters_Http_Cors_V3_Cors())
        return filter
    }

    /// Routes fetched over RDS (ADS, v3) under `name`.
    static func rds(
        _ name: String
    )
        -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.OneOf_RouteSpecifier
    {
        var rds = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_Rds()
        rds.configSource = ProtoValues.ads
        rds.routeConfigName = name
        return .rds(rds)
    }

    static func filterChain(
        name: String, filters: [Envoy_Config_Listener_V3_Filter]
    )
        -> Envoy_Config_Listener_V3_FilterChain
    {
        var chain = Envoy_Config_Listener_V3_FilterChain()
        chain.name = name
        chain.filters = filters
        return chain
    }
}

extension NetworkFilters {
    /// tcp_proxy spreading connections over clusters by weight (a VirtualService `tcp`/`tls` split).
    static func tcpProxy(
        weighted clusters: [(name: String, weight: Int)], statPrefix: String
    )
        -> Envoy_Config_Listener_V3_Filter
    {
        var weighted = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy.WeightedCluster()
        weighted.clusters = clusters.map { entry in
            var cluster = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy.WeightedCluster.ClusterWeight()
            cluster.name = entry.name
            cluster.weight = UInt32(clamping: entry.weight)
            return cluster
        }
        var proxy = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy()
        proxy.statPrefix = statPrefix
        proxy.weightedClusters = weighted
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = tcpProxyName
        filter.typedConfig = packAny(proxy)
        return filter
    }

    /// The tls_inspector listener filter, which reads SNI (and ALPN) so chains can match `server_names`.
    static var tlsInspector: Envoy_Config_Listener_V3_ListenerFilter {
        var inspector = Envoy_Config_Listener_V3_ListenerFilter()
        inspector.name = tlsInspectorName
        inspector.typedConfig = packAny(Envoy_Extensions_Filters_Listener_TlsInspector_V3_TlsInspector())
        return inspector
    }

    /// `10.0.0.0/8` (or a bare address, as a host route /32 or /128) as Envoy's CidrRange.
    static func cidrRange(_ text: String) -> Envoy_Config_Core_V3_CidrRange {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        let address = parts.first ?? text
        let fullLength = address.contains(":") ? 128 : 32
        var range = Envoy_Config_Core_V3_CidrRange()
        range.addressPrefix = address
        range.prefixLen = ProtoValues.uint32(parts.count == 2 ? Int(parts[1]) ?? fullLength : fullLength)
        return range
    }
}
