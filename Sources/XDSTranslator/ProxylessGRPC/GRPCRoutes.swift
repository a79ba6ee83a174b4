import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// RDS for a proxyless gRPC client: one route configuration per service port, named as its listener's RDS name
/// (`outbound|<port>||<fqdn>`), with one virtual host (`*`: the configuration serves that service alone) holding the
/// VirtualService's routes, or one route to the service port's cluster.
///
/// The routes are the sidecar's (`VirtualServiceRoutes`), cut to what gRPC's xDS client reads (gRFC A28, A31, A44):
/// matches (path, prefix, regex, headers, runtime fraction), cluster and weighted clusters, hash policies,
/// `max_stream_duration` for the VirtualService timeout, and retries on gRPC status codes. Header rewrites, CORS and
/// faults are Envoy filters gRPC does not run; they are dropped (documented in Docs/proxyless-grpc.md).
enum GRPCRoutes {
    /// The `retry_on` conditions gRPC honours (gRFC A44); others are gRPC no-ops and are left out.
    static let retryOnCodes: Set<String> = [
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ]

    static func resources(for context: GenerationContext<RouteInputs>) -> [TranslatedMessage] {
        let virtualServices = VirtualServiceIndex(context)
        var result: [TranslatedMessage] = []
        for service in context.visibleServices {
            for port in service.ports.sorted(by: { $0.port < $1.port }) {
                var sources = [service.origin]
                var routes: [Envoy_Config_Route_V3_Route] = []
                if let virtualService = virtualServices.first(for: service.hostname) {
                    routes = VirtualServiceRoutes(context: context, virtualService: virtualService, port: port.port)
                        .routes()
                    if !routes.isEmpty {
                        sources += VirtualServiceDelegation.sources(of: virtualService, in: context.snapshot)
                    }
                }
                if routes.isEmpty {
                    var route = RouteBuilder.defaultOutboundRoute(
                        toCluster: ClusterName.outbound(port: port.port, hostname: service.hostname))
                    route.route.hashPolicy = HashPolicy.policies(
                        forService: service.hostname, port: port.port, snapshot: context.snapshot,
                        clientNamespace: context.inputs.namespace)
                    if !route.route.hashPolicy.isEmpty, let rule = context.destinationRule(for: service.hostname) {
                        sources.append(rule.sourceKey)
                    }
                    routes = [route]
                }
                var host = Envoy_Config_Route_V3_VirtualHost()
                host.name = "\(service.hostname):\(port.port)"
                host.domains = ["*"]
                host.routes = routes.map(supported)
                var configuration = Envoy_Config_Route_V3_RouteConfiguration()
                configuration.name = ClusterName.outbound(port: port.port, hostname: service.hostname)
                configuration.virtualHosts = [host]
                result.append(TranslatedMessage(name: configuration.name, message: configuration, sources: sources))
            }
        }
        return result
    }

    /// The parts of a sidecar route that gRPC reads.
    static func supported(_ route: Envoy_Config_Route_V3_Route) -> Envoy_Config_Route_V3_Route {
        var result = Envoy_Config_Route_V3_Route()
        result.name = route.name
        result.match = route.match
        switch route.action {
        case .route(let action)?: result.route = supported(action)
        // gRPC fails the RPCs a redirect or direct response route matches: it only proxies.
        case .redirect(let redirect)?: result.redirect = redirect
        case .directResponse(let response)?: result.directResponse = response
        case .nonForwardingAction(let action)?: result.nonForwardingAction = action
        // Only an EnvoyFilter sets a filter action; gRPC does not know it and fails what it matches.
        case .filterAction(let action)?: result.filterAction = action
        case nil: break
        }
        return result
    }

    private static func supported(_ action: Envoy_Config_Route_V3_RouteAction) -> Envoy_Config_Route_V3_RouteAction {
        var result = Envoy_Config_Route_V3_RouteAction()
        switch action.clusterSpecifier {
        case .cluster(let name)?: result.cluster = name
        case .weightedClusters(let weighted)?:
            var clusters = Envoy_Config_Route_V3_WeightedCluster()
            clusters.clusters = weighted.clusters.map { cluster in
                var kept = Envoy_Config_Route_V3_WeightedCluster.ClusterWeight()
                kept.name = cluster.name
                kept.weight = cluster.weight
                return kept
            }
            result.weightedClusters = clusters
        default: result.clusterSpecifier = action.clusterSpecifier
        }
        result.hashPolicy = action.hashPolicy
        // gRPC bounds a call by max_stream_duration (gRFC A31), not by the route timeout; 0 is no bound.
        let timeout = action.hasTimeout ? action.timeout : ProtoValues.noTimeout
        var duration = Envoy_Config_Route_V3_RouteAction.MaxStreamDuration()
        duration.maxStreamDuration = timeout
        duration.grpcTimeoutHeaderMax = timeout
        result.maxStreamDuration = duration
        if action.hasRetryPolicy, let retry = supported(action.retryPolicy) { result.retryPolicy = retry }
        return result
    }

    /// Retries on the gRPC status codes the policy names (gRFC A44), with its attempts and back-off; nil when it
    /// names none.
    private static func supported(_ policy: Envoy_Config_Route_V3_RetryPolicy) -> Envoy_Config_Route_V3_RetryPolicy? {
        let codes = policy.retryOn.split(separator: ",").map { String($0).trimmingCharacters() }
            .filter { retryOnCodes.contains($0) }
        guard !codes.isEmpty else { return nil }
        var result = Envoy_Config_Route_V3_RetryPolicy()
        result.retryOn = codes.joined(separator: ",")
        if policy.hasNumRetries { result.numRetries = policy.numRetries }
        if policy.hasRetryBackOff { result.retryBackOff = policy.retryBackOff }
        return result
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
