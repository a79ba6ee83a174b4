extension ConfigDecoder {
    /// One `tcp` entry.
    static func decodeTCPRoute(_ route: YAMLMapping) -> TCPRoute {
        route.warnUnsupported(handled: ["match", "route"])
        let matches = route.sequence("match").compactMap { $0.mapping().map(decodeL4Match) }
        return TCPRoute(match: matches, route: decodeRouteDestinations(route))
    }

    /// One `tls` entry.
    static func decodeTLSRoute(_ route: YAMLMapping) -> TLSRoute {
        route.warnUnsupported(handled: ["match", "route"])
        let matches = route.sequence("match").compactMap { $0.mapping().map(decodeTLSMatch) }
        return TLSRoute(match: matches, route: decodeRouteDestinations(route))
    }

    static func decodeL4Match(_ match: YAMLMapping) -> L4MatchAttributes {
        match.warnUnsupported(handled: ["destinationSubnets", "port", "sourceLabels", "sourceNamespace", "gateways"])
        return L4MatchAttributes(
            destinationSubnets: match.stringList("destinationSubnets"), port: match.int("port", .uint32),
            sourceLabels: match.stringMap("sourceLabels"), sourceNamespace: match.string("sourceNamespace"),
            gateways: match.stringList("gateways"))
    }

    static func decodeTLSMatch(_ match: YAMLMapping) -> TLSMatchAttributes {
        match.warnUnsupported(handled: [
            "sniHosts", "destinationSubnets", "port", "sourceLabels", "sourceNamespace", "gateways",
        ])
        return TLSMatchAttributes(
            sniHosts: match.stringList("sniHosts"), destinationSubnets: match.stringList("destinationSubnets"),
            port: match.int("port", .uint32), sourceLabels: match.stringMap("sourceLabels"),
            sourceNamespace: match.string("sourceNamespace"), gateways: match.stringList("gateways"))
    }

    /// `route` of a tcp or tls entry. An omitted weight means all of it for a lone destination, none in a split.
    static func decodeRouteDestinations(_ route: YAMLMapping) -> [RouteDestination] {
        let items = route.sequence("route")
        return items.compactMap { item -> RouteDestination? in
            guard let entry = item.mapping() else { return nil }
            entry.warnUnsupported(handled: ["destination", "weight"])
            let destination = entry.mapping("destination").map(decodeDestination) ?? Destination(host: "")
            let weight = entry.int("weight", .int32) ?? (items.count == 1 ? 100 : 0)
            return RouteDestination(destination: destination, weight: weight)
        }
    }
}
