import EnvoyAPI
import MeshModel
import SwiftProtobuf

extension EnvoyFilterPatcher {
    typealias RouteConfiguration = Envoy_Config_Route_V3_RouteConfiguration
    typealias VirtualHost = Envoy_Config_Route_V3_VirtualHost
    typealias Route = Envoy_Config_Route_V3_Route

    /// RDS with the route-class patches applied.
    static func patchRoutes(
        _ messages: [TranslatedMessage], _ patches: EnvoyFilterPatches, kind: Proxy.Kind
    ) -> [TranslatedMessage] {
        guard !patches.isEmpty else { return messages }
        return messages.map { translated in
            guard var configuration = translated.message as? RouteConfiguration else { return translated }
            let context: PatchContext =
                kind == .router
                ? .gateway : configuration.name.hasPrefix("inbound|") ? .sidecarInbound : .sidecarOutbound
            var touched = Touched()
            patchRouteConfiguration(&configuration, patches, context: context, touched: &touched)
            return message(configuration, name: configuration.name, sources: translated.sources, touched: touched)
        }
    }

    /// One route configuration patched as istiod's `ApplyRouteConfigurationPatches`: ROUTE_CONFIGURATION MERGE, then
    /// per virtual host REMOVE, MERGE, REPLACE and then ADD, and per route REMOVE and MERGE, then ADD and INSERT_*.
    static func patchRouteConfiguration(
        _ configuration: inout RouteConfiguration, _ patches: EnvoyFilterPatches, context: PatchContext,
        touched: inout Touched
    ) {
        let routeCtx = RouteNameParts(configuration.name, context: context)
        func configurationMatches(_ patch: EnvoyFilterPatches.Applied) -> Bool {
            contextMatches(patch, context) && routeCtx.matches(patch)
        }
        for patch in patches.of(.routeConfiguration) where configurationMatches(patch) {
            guard patch.patch.operation == .merge || patch.patch.operation == .mergeAndReplaceList,
                let value = patch.patch.value?.as(RouteConfiguration.self)
            else { continue }
            merge(value, into: &configuration, operation: patch.patch.operation)
            touched.add(patch)
        }
        var hosts: [VirtualHost] = []
        for var host in configuration.virtualHosts {
            var removed = false
            for patch in patches.of(.virtualHost) where configurationMatches(patch) && virtualHostMatches(host, patch) {
                switch patch.patch.operation {
                case .remove:
                    removed = true
                case .merge, .mergeAndReplaceList:
                    guard let value = patch.patch.value?.as(VirtualHost.self) else { continue }
                    merge(value, into: &host, operation: patch.patch.operation)
                case .replace:
                    guard let value = patch.patch.value?.as(VirtualHost.self) else { continue }
                    host = value
                default:
                    continue
                }
                touched.add(patch)
                if removed { break }
            }
            if removed { continue }
            patchRoutes(of: &host, patches, matches: configurationMatches, touched: &touched)
            hosts.append(host)
        }
        for patch in patches.of(.virtualHost) where patch.patch.operation == .add && configurationMatches(patch) {
            guard let value = patch.patch.value?.as(VirtualHost.self) else { continue }
            hosts.append(value)
            touched.add(patch)
        }
        configuration.virtualHosts = hosts
    }

    private static func patchRoutes(
        of host: inout VirtualHost, _ patches: EnvoyFilterPatches,
        matches configurationMatches: (EnvoyFilterPatches.Applied) -> Bool, touched: inout Touched
    ) {
        let routePatches = patches.of(.httpRoute).filter { configurationMatches($0) && virtualHostMatches(host, $0) }
        guard !routePatches.isEmpty else { return }
        var routes: [Route] = []
        for var route in host.routes {
            var removed = false
            for patch in routePatches where routeMatches(route, patch) {
                switch patch.patch.operation {
                case .remove:
                    removed = true
                case .merge, .mergeAndReplaceList:
                    guard let value = patch.patch.value?.as(Route.self) else { continue }
                    merge(value, into: &route, operation: patch.patch.operation)
                default:
                    continue
                }
                touched.add(patch)
                if removed { break }
            }
            if !removed { routes.append(route) }
        }
        for patch in routePatches {
            let operation = patch.patch.operation
            guard [.add, .insertBefore, .insertAfter, .insertFirst].contains(operation),
                let value = patch.patch.value?.as(Route.self)
            else { continue }
            let hasAnchor = routeMatch(patch) != nil
            if operation == .insertFirst && hasAnchor {
                // As istiod: with a route match, inserted at the top only when some route matches.
                guard routes.contains(where: { routeMatches($0, patch) }) else { continue }
                routes.insert(value, at: 0)
                touched.add(patch)
                continue
            }
            if applyListOperation(
                operation, to: &routes, value: value, hasAnchor: hasAnchor, matches: { routeMatches($0, patch) })
            {
                touched.add(patch)
            }
        }
        host.routes = routes
    }

    private static func routeConfigurationMatch(
        _ patch: EnvoyFilterPatches.Applied
    )
        -> EnvoyConfigPatch.RouteConfigurationMatch?
    {
        guard case .routeConfiguration(let match)? = patch.patch.match.object else { return nil }
        return match
    }

    private static func routeMatch(
        _ patch: EnvoyFilterPatches.Applied
    )
        -> EnvoyConfigPatch.RouteConfigurationMatch.RouteMatch?
    {
        routeConfigurationMatch(patch)?.vhost?.route
    }

    static func virtualHostMatches(_ host: VirtualHost, _ patch: EnvoyFilterPatches.Applied) -> Bool {
        guard let match = routeConfigurationMatch(patch)?.vhost else { return true }
        if !match.domainName.isEmpty && !host.domains.contains(match.domainName) { return false }
        return match.name.isEmpty || match.name == host.name
    }

    static func routeMatches(_ route: Route, _ patch: EnvoyFilterPatches.Applied) -> Bool {
        guard let match = routeMatch(patch) else { return true }
        if !match.name.isEmpty && match.name != route.name { return false }
        switch match.action {
        case .any: return true
        case .route: if case .route? = route.action { return true }
        case .redirect: if case .redirect? = route.action { return true }
        case .directResponse: if case .directResponse? = route.action { return true }
        }
        return false
    }

    /// What a route configuration's name tells (istiod's route naming): for sidecars the port (`9080`, or
    /// `inbound|9080||`); for gateways the port, the server's port name and the Gateway (`http.80`,
    /// `https.443.<portName>.<gateway>.<namespace>`).
    struct RouteNameParts {
        var name: String
        var port: Int
        var portName = ""
        var gateway = ""
        var isGateway: Bool

        init(_ name: String, context: PatchContext) {
            self.name = name
            isGateway = context == .gateway
            if !isGateway {
                if name.hasPrefix("inbound|") {
                    let parts = name.split(separator: "|", omittingEmptySubsequences: false)
                    port = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                } else {
                    port = Int(name) ?? 0
                }
                return
            }
            let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            port = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            if parts.first == "https", parts.count >= 5 {
                portName = parts[2]
                gateway = "\(parts[4])/\(parts[3])"
            }
        }

        func matches(_ patch: EnvoyFilterPatches.Applied) -> Bool {
            guard case .routeConfiguration(let match)? = patch.patch.match.object else { return true }
            if match.portNumber != 0 && match.portNumber != port { return false }
            if !match.name.isEmpty && match.name != name { return false }
            guard isGateway else { return true }
            if !match.portName.isEmpty && match.portName != portName { return false }
            if !match.gateway.isEmpty && match.gateway != gateway { return false }
            return true
        }
    }
}
