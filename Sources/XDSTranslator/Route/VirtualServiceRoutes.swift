import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// Translates the `http` routes of one VirtualService for one route-configuration port, as istiod's
/// BuildHTTPRoutesForVirtualService does, for a sidecar (`gatewayNames == ["mesh"]`) or for a gateway server
/// (`gatewayNames` = the `namespace/name` of its Gateway).
///
/// - Each match block becomes its own Envoy route (Envoy has no OR), named `<http.name>.<match.name>` when the block
///   has a name, else `<http.name>`.
/// - A block applies only on its `port`, to clients with its `sourceLabels` and `sourceNamespace`, and (when it
///   names `gateways`) only to those gateways; otherwise it yields no route.
/// - Routes after a catch-all (prefix `/` without conditions) can never match and are not generated.
/// - A root VirtualService's `delegate` routes are replaced by the delegate's routes, merged as istiod merges them.
///
/// Output depends on the proxy's namespace and, when any VirtualService matches on `sourceLabels`, its labels
/// (`RouteInputs.sourceLabels`).
struct VirtualServiceRoutes {
    let context: GenerationContext<RouteInputs>
    let virtualService: VirtualService
    /// The port of the route configuration being built: the fallback destination port.
    let port: Int
    /// `mesh` for sidecars; for a gateway, the `namespace/name` of the Gateway(s) of the server.
    var gatewayNames: Set<String> = [GatewayNames.mesh]
    /// The route serves a TLS-terminating server: a redirect that changes only the port defaults to https.
    var isTLS = false

    var snapshot: MeshSnapshot { context.snapshot }

    init(
        context: GenerationContext<RouteInputs>, virtualService: VirtualService, port: Int,
        gatewayNames: Set<String> = [GatewayNames.mesh], isTLS: Bool = false
    ) {
        self.context = context
        self.virtualService = virtualService
        self.port = port
        self.gatewayNames = gatewayNames
        self.isTLS = isTLS
    }

    /// The Envoy routes in the VirtualService's order.
    func routes() -> [Envoy_Config_Route_V3_Route] {
        var result: [Envoy_Config_Route_V3_Route] = []
        for http in VirtualServiceDelegation.mergedHTTPRoutes(of: virtualService, in: snapshot) {
            if http.match.isEmpty {
                if let route = route(http, block: nil) { result.append(route) }
                return result
            }
            for block in http.match {
                guard let route = route(http, block: block) else { continue }
                result.append(route)
                if RouteMatchTranslation.isCatchAll(route.match) { return result }
            }
        }
        return result
    }

    /// One Envoy route for one match block, or nil when the block does not apply to this port or client.
    func route(_ http: HTTPRoute, block: HTTPMatchRequest?) -> Envoy_Config_Route_V3_Route? {
        if let block {
            if let blockPort = block.port, blockPort != 0, blockPort != port { return nil }
            guard appliesToClient(block) else { return nil }
            // Routing on JWT claims needs the request's dynamic metadata, which meshd does not produce.
            if (Array(block.headers.keys) + Array(block.withoutHeaders.keys)).contains(where: isJWTClaim) { return nil }
        }
        var route = Envoy_Config_Route_V3_Route()
        route.name = http.name ?? ""
        if let matchName = block?.name, !matchName.isEmpty { route.name += ".\(matchName)" }
        route.match = RouteMatchTranslation.match(block)
        if let statPrefix = block?.statPrefix, !statPrefix.isEmpty { route.statPrefix = statPrefix }
        let headers = HeaderOperationsTranslation(http.headers)
        headers.apply(to: &route)
        if let redirect = http.redirect {
            guard let action = RedirectTranslation.redirect(redirect, port: port, isTLS: isTLS) else { return nil }
            route.redirect = action
        } else if let response = http.directResponse {
            route.directResponse = RedirectTranslation.directResponse(response)
        } else {
            let action = routeAction(http, authority: headers.authority, route: &route)
            route.route = action
        }
        if let fault = http.fault, let config = FaultTranslation.fault(fault) {
            route.typedPerFilterConfig[FaultTranslation.filterName] = packAny(config)
        }
        if let cors = http.corsPolicy {
            route.typedPerFilterConfig[CORSTranslation.filterName] = packAny(CORSTranslation.policy(cors))
        }
        return route
    }

    /// istiod's sourceMatchHTTP: a block naming gateways applies to those gateways only; otherwise the client must
    /// carry every `sourceLabels` label and run in `sourceNamespace`.
    func appliesToClient(_ block: HTTPMatchRequest) -> Bool {
        if !block.gateways.isEmpty {
            let namespace = virtualService.meta.namespace
            return block.gateways.contains { gatewayNames.contains(GatewayNames.resolve($0, namespace: namespace)) }
        }
        let labels = context.inputs.sourceLabels ?? [:]
        guard block.sourceLabels.allSatisfy({ labels[$0.key] == $0.value }) else { return false }
        guard let namespace = block.sourceNamespace, !namespace.isEmpty else { return true }
        return namespace == context.inputs.namespace
    }

    private func isJWTClaim(_ name: String) -> Bool {
        name.hasPrefix("@request.auth.claims.") || name.hasPrefix("@request.auth.claims[")
    }
}

/// Gateway names as VirtualServices write them, resolved the way istiod compares them.
enum GatewayNames {
    static let mesh = "mesh"

    /// `mesh` stays; `name` and `./name` -> `<namespace>/name`; `ns/name` stays; the legacy FQDN
    /// `name.ns.svc.cluster.local` (or `name.ns`) -> `ns/name`.
    static func resolve(_ gateway: String, namespace: String) -> String {
        if gateway == mesh { return gateway }
        if let slash = gateway.firstIndex(of: "/") {
            let prefix = gateway[..<slash]
            return prefix == "." ? "\(namespace)/\(gateway[gateway.index(after: slash)...])" : gateway
        }
        let labels = gateway.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count > 1 else { return "\(namespace)/\(gateway)" }
        return "\(labels[1])/\(labels[0])"
    }
}
