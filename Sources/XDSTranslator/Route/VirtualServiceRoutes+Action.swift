import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// The forwarding action of an http route: the one place where a route's `RouteAction` is assembled (destinations,
/// timeout, rewrite, mirrors, retries; DestinationRule `consistentHash` adds its `hash_policy` in
/// `hashPolicies(for:)`).
extension VirtualServiceRoutes {
    /// As istiod's applyHTTPRouteDestination. `authority` comes from the route's request header operations; a
    /// `rewrite.authority` wins over it, and it wins over a lone destination's.
    func routeAction(
        _ http: HTTPRoute, authority: String?, route: inout Envoy_Config_Route_V3_Route
    ) -> Envoy_Config_Route_V3_RouteAction {
        var action = Envoy_Config_Route_V3_RouteAction()
        let timeout = http.timeout.map(ProtoDuration.of) ?? ProtoValues.noTimeout
        action.timeout = timeout
        // istiod writes the deprecated max_grpc_timeout (= the route timeout), which Envoy refuses under
        // fail_on_any_deprecated_feature. Its replacement disables the route timeout, so only a route without one
        // takes it: a grpc-timeout header then bounds the request. A route with a timeout keeps Envoy's own timeout
        // semantics for every request (gRPC ones included: they end at the route timeout, as with istiod when the
        // header is absent or longer).
        if timeout == ProtoValues.noTimeout {
            action.maxStreamDuration = RouteBuilder.grpcTimeoutFromHeader
        }
        if let rewrite = http.rewrite {
            if let regex = rewrite.uriRegexRewrite {
                var substitution = Envoy_Type_Matcher_V3_RegexMatchAndSubstitute()
                substitution.pattern = RouteMatchTranslation.regex(regex.match)
                substitution.substitution = regex.rewrite
                action.regexRewrite = substitution
            } else if let uri = rewrite.uri, !uri.isEmpty {
                action.prefixRewrite = uri
            }
        }
        if let host = nonEmpty(http.rewrite?.authority) ?? nonEmpty(authority) {
            action.hostRewriteSpecifier = .hostRewriteLiteral(host)
        }
        action.requestMirrorPolicies = mirrorPolicies(http)

        if http.route.count == 1, let only = http.route.first {
            action.clusterSpecifier = .cluster(clusterName(only.destination))
            let headers = HeaderOperationsTranslation(only.headers)
            headers.apply(to: &route)
            if let host = headers.authority, action.hostRewriteSpecifier == nil {
                action.hostRewriteSpecifier = .hostRewriteLiteral(host)
            }
        } else {
            var clusters = Envoy_Config_Route_V3_WeightedCluster()
            // A destination with weight 0 receives nothing; istiod leaves it out of the split.
            clusters.clusters = http.route.filter { $0.weight != 0 }.map { destination in
                var cluster = Envoy_Config_Route_V3_WeightedCluster.ClusterWeight()
                cluster.name = clusterName(destination.destination)
                cluster.weight = ProtoValues.uint32(destination.weight)
                let headers = HeaderOperationsTranslation(destination.headers)
                headers.apply(to: &cluster)
                if let host = headers.authority { cluster.hostRewriteLiteral = host }
                return cluster
            }
            action.clusterSpecifier = .weightedClusters(clusters)
        }
        action.hashPolicy = hashPolicies(for: http.route)
        // With consistent hashing, a retry must not move to another host (istiod drops previous_hosts then).
        if let retryPolicy = RetryPolicyTranslation.policy(http.retries, consistentHash: !action.hashPolicy.isEmpty) {
            action.retryPolicy = retryPolicy
        }
        return action
    }

    /// `hash_policy` for DestinationRule consistent-hash load balancing of these destinations (those in the split:
    /// weight 0 is left out unless it is the only one), see HashPolicy.swift.
    func hashPolicies(for destinations: [HTTPRouteDestination]) -> [Envoy_Config_Route_V3_RouteAction.HashPolicy] {
        let used = destinations.count == 1 ? destinations : destinations.filter { $0.weight != 0 }
        return HashPolicy.policies(
            for: used.map(\.destination), namespace: virtualService.meta.namespace, snapshot: snapshot,
            clientNamespace: context.inputs.namespace)
    }

    /// `mirror` (with `mirrorPercentage`, all requests when unset, none at 0) then each of `mirrors`.
    func mirrorPolicies(_ http: HTTPRoute) -> [Envoy_Config_Route_V3_RouteAction.RequestMirrorPolicy] {
        var policies: [Envoy_Config_Route_V3_RouteAction.RequestMirrorPolicy] = []
        func add(_ destination: Destination, _ percentage: Double?) {
            if let percentage, percentage <= 0 { return }
            var policy = Envoy_Config_Route_V3_RouteAction.RequestMirrorPolicy()
            policy.cluster = clusterName(destination)
            var fraction = Envoy_Config_Core_V3_RuntimeFractionalPercent()
            fraction.defaultValue =
                percentage.map(FractionalPercentTranslation.of) ?? FractionalPercentTranslation.hundredths(100)
            policy.runtimeFraction = fraction
            policy.traceSampled = Google_Protobuf_BoolValue(false)
            policies.append(policy)
        }
        if let mirror = http.mirror { add(mirror, http.mirrorPercentage) }
        for mirror in http.mirrors { add(mirror.destination, mirror.percentage) }
        return policies
    }

    /// `outbound|<port>|<subset>|<fqdn>`. The port is the destination's, else the destination service's only
    /// port, else this route configuration's port. An unknown subset still names its cluster: Envoy answers
    /// 503 for it, which is what an operator expects from a typo in a subset.
    func clusterName(_ destination: Destination) -> String {
        let hostname = Hostname.resolve(destination.host, namespace: virtualService.meta.namespace)
        let servicePorts = snapshot.servicesByHostname[hostname]?.ports ?? []
        let destinationPort = destination.port ?? (servicePorts.count == 1 ? servicePorts[0].port : port)
        return ClusterName.outbound(port: destinationPort, subset: destination.subset, hostname: hostname)
    }

    private func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
