/// Istio `VirtualService`, HTTP routes.
public struct VirtualService: Sendable, Hashable {
    public var meta: ObjectMeta
    /// As written: short names, FQDNs or wildcards. Resolve short names with `Hostname.resolve`.
    public var hosts: [String]
    /// Empty means `mesh` only.
    public var gateways: [String]
    public var exportTo: [String]
    public var http: [HTTPRoute]

    public init(meta: ObjectMeta, hosts: [String], gateways: [String] = [], exportTo: [String] = [], http: [HTTPRoute] = []) {
        self.meta = meta
        self.hosts = hosts
        self.gateways = gateways
        self.exportTo = exportTo
        self.http = http
    }
}

/// One entry of `spec.http`: match conditions (OR of the blocks) and weighted destinations.
public struct HTTPRoute: Sendable, Hashable {
    public var name: String?
    /// Empty means "match everything".
    public var match: [HTTPMatchRequest]
    public var route: [HTTPRouteDestination]

    public init(name: String? = nil, match: [HTTPMatchRequest] = [], route: [HTTPRouteDestination]) {
        self.name = name
        self.match = match
        self.route = route
    }
}

/// One match block: every condition inside must hold (AND).
public struct HTTPMatchRequest: Sendable, Hashable {
    public var name: String?
    public var uri: StringMatch?
    /// Header name (lower-cased on decode) -> match.
    public var headers: [String: StringMatch]

    public init(name: String? = nil, uri: StringMatch? = nil, headers: [String: StringMatch] = [:]) {
        self.name = name
        self.uri = uri
        self.headers = headers
    }
}

/// Istio's `StringMatch`: exactly one of exact, prefix or regex (RE2 syntax).
public enum StringMatch: Sendable, Hashable {
    case exact(String)
    case prefix(String)
    case regex(String)
}

/// A destination with its share of traffic (0-100). A single destination without weight gets 100.
public struct HTTPRouteDestination: Sendable, Hashable {
    public var destination: Destination
    public var weight: Int

    public init(destination: Destination, weight: Int) {
        self.destination = destination
        self.weight = weight
    }
}

/// Where traffic goes: a host (short name or FQDN), an optional subset and an optional port.
public struct Destination: Sendable, Hashable {
    public var host: String
    public var subset: String?
    public var port: Int?

    public init(host: String, subset: String? = nil, port: Int? = nil) {
        self.host = host
        self.subset = subset
        self.port = port
    }
}
