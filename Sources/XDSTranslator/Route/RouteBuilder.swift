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
        route.route.maxStreamDuration = grpcTimeoutFromHeader
        return route
    }

    /// `max_stream_duration {max_stream_duration: 0s, grpc_timeout_header_max: 0s}`: a gRPC request's `grpc-timeout`
    /// header bounds it, uncapped, and nothing else does (no stream duration limit). This is what istiod sets on
    /// inbound routes, and the replacement Envoy names for the deprecated `max_grpc_timeout: 0s` that istiod still
    /// writes on outbound ones (with `fail_on_any_deprecated_feature` Envoy rejects every route carrying that).
    ///
    /// Only for routes without a timeout: once `max_stream_duration` is present Envoy's router ignores the route's
    /// `timeout`, and the stream-duration timer that would take its place answers with another body and response
    /// flag ("downstream duration timeout", DT) than a VirtualService timeout does ("upstream request timeout", UT).
    static var grpcTimeoutFromHeader: Envoy_Config_Route_V3_RouteAction.MaxStreamDuration {
        var duration = Envoy_Config_Route_V3_RouteAction.MaxStreamDuration()
        duration.maxStreamDuration = ProtoValues.noTimeout
        duration.grpcTimeoutHeaderMax = ProtoValues.noTimeout
        return duration
    }

    /// A route action with `timeout: 0s`: Istio turns off Envoy's default 15 s timeout unless a VirtualService
    /// sets one.
    static func action(
        _ target: Envoy_Config_Route_V3_RouteAction.OneOf_ClusterSpecifier
    )
        -> Envoy_Config_Route_V3_RouteAction
    {
        var action = Envoy_Config_Route_V3_RouteAction()
        action.clusterSpecifier = target
        action.timeout = ProtoValues.noTimeout
        return action
    }
}
