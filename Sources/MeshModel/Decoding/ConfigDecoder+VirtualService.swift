extension ConfigDecoder {
    static func decodeVirtualService(meta: ObjectMeta, spec: YAMLMapping?) -> VirtualService {
        guard let spec else { return VirtualService(meta: meta, hosts: []) }
        spec.warnUnsupported(handled: ["hosts", "gateways", "exportTo", "http"])
        let http = spec.sequence("http").compactMap { $0.mapping().flatMap(decodeHTTPRoute) }
        return VirtualService(
            meta: meta, hosts: spec.stringList("hosts"), gateways: spec.stringList("gateways"),
            exportTo: spec.stringList("exportTo"), http: http)
    }

    /// One `http` entry. A route that only redirects or answers directly has nothing meshd can translate yet, so it
    /// is left out (with the warnings naming those fields) rather than refused.
    static func decodeHTTPRoute(_ route: YAMLMapping) -> HTTPRoute? {
        route.warnUnsupported(handled: ["name", "match", "route"])
        let matches = route.sequence("match").compactMap { $0.mapping().map(decodeMatch) }
        let items = route.sequence("route")
        if items.isEmpty && (route.contains("redirect") || route.contains("directResponse")) {
            route.context.warning(route.path, "route has no destinations meshd can translate yet; skipped")
            return nil
        }
        let destinations = items.compactMap { item -> HTTPRouteDestination? in
            guard let entry = item.mapping() else { return nil }
            entry.warnUnsupported(handled: ["destination", "weight"])
            let destination = entry.mapping("destination").map(decodeDestination) ?? Destination(host: "")
            // An omitted weight means "all of it" for a lone destination and "none" when traffic is split.
            let weight = entry.int("weight") ?? (items.count == 1 ? 100 : 0)
            return HTTPRouteDestination(destination: destination, weight: weight)
        }
        return HTTPRoute(name: route.string("name"), match: matches, route: destinations)
    }

    static func decodeDestination(_ destination: YAMLMapping) -> Destination {
        destination.warnUnsupported(handled: ["host", "subset", "port"])
        var port: Int?
        if let portMapping = destination.mapping("port") {
            portMapping.warnUnsupported(handled: ["number"])
            port = portMapping.int("number")
        }
        return Destination(host: destination.string("host") ?? "", subset: destination.string("subset"), port: port)
    }

    /// One match block: `uri`, `headers` (names lower-cased, as HTTP/2 and Envoy see them) and `name`.
    static func decodeMatch(_ match: YAMLMapping) -> HTTPMatchRequest {
        match.warnUnsupported(handled: ["name", "uri", "headers"])
        var headers: [String: StringMatch] = [:]
        if let headerMapping = match.mapping("headers") {
            for name in headerMapping.keys {
                if let value = headerMapping.mapping(name).flatMap(decodeStringMatch) { headers[name.lowercased()] = value }
            }
        }
        return HTTPMatchRequest(
            name: match.string("name"), uri: match.mapping("uri").flatMap(decodeStringMatch), headers: headers)
    }

    /// A StringMatch must set exactly one of `exact`, `prefix` and `regex`.
    static func decodeStringMatch(_ match: YAMLMapping) -> StringMatch? {
        match.warnUnsupported(handled: ["exact", "prefix", "regex"])
        var found: [StringMatch] = []
        if let value = match.string("exact") { found.append(.exact(value)) }
        if let value = match.string("prefix") { found.append(.prefix(value)) }
        if let value = match.string("regex") { found.append(.regex(value)) }
        guard found.count == 1, let only = found.first else {
            let what = found.isEmpty ? "none is set" : "\(found.count) are set"
            match.context.error(match.path, "exactly one of exact, prefix or regex is required; \(what)")
            return nil
        }
        return only
    }
}
