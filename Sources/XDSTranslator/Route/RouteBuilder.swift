import EnvoyAPI

/// Building blocks shared by the outbound and inbound routes.
enum RouteBuilder {
    /// A route matching every path (prefix "/") to one cluster, with the route timeout disabled.
    static func prefixRoute(name: String, toCluster cluster: String) -> Envoy_Config_Route_V3_Route {
        var match = Envoy_Config_Route_V3_RouteMatch()
        match.prefix = "/"
        var route = Envoy_Config_Route_V3_Route()
        route.name = name
        route.match = match
        route.route = action(.cluster(cluster))
        return route
    }

    /// The route of a service without a VirtualService: everything to its cluster, no timeout, and Istio's default
    /// retry policy (istiod's BuildDefaultHTTPOutboundRoute).
    static func defaultOutboundRoute(toCluster cluster: String) -> Envoy_Config_Route_V3_Route {
        var route = prefixRoute(name: "default", toCluster: cluster)
        if let retryPolicy = RetryPolicyTranslation.policy(nil) { route.route.retryPolicy = retryPolicy }
        route.route.maxGrpcTimeout = ProtoValues.noTimeout
        return route
    }

    /// A route action with `timeout: 0s`: Istio turns off Envoy's default 15 s timeout unless a VirtualService
    /// sets one.
    static func action(_ target: Envoy_Config_Route_V3_RouteAction.OneOf_ClusterSpecifier)
        -> Envoy_Config_Route_V3_RouteAction
    {
        var action = Envoy_Config_Route_V3_RouteAction()
        action.clusterSpecifier = target
        action.timeout = ProtoValues.noTimeout
        return action
    }
}
