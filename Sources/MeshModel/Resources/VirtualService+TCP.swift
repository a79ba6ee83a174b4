/// One entry of a VirtualService's `spec.tcp`: opaque TCP traffic, matched on L4 attributes only.
public struct TCPRoute: Sendable, Hashable {
    /// Empty means "match everything"; several blocks combine with OR.
    public var match: [L4MatchAttributes]
    public var route: [RouteDestination]

    public init(match: [L4MatchAttributes] = [], route: [RouteDestination]) {
        self.match = match
        self.route = route
    }
}

/// One entry of a VirtualService's `spec.tls`: TLS traffic that is passed through (not terminated), matched on SNI.
public struct TLSRoute: Sendable, Hashable {
    /// At least one block is required; several blocks combine with OR.
    public var match: [TLSMatchAttributes]
    public var route: [RouteDestination]

    public init(match: [TLSMatchAttributes], route: [RouteDestination]) {
        self.match = match
        self.route = route
    }
}

/// Istio's `L4MatchAttributes`: every set condition must hold (AND).
public struct L4MatchAttributes: Sendable, Hashable {
    /// IPv4/IPv6 addresses or CIDRs of the destination.
    public var destinationSubnets: [String]
    /// The service port the connection was addressed to.
    public var port: Int?
    /// Labels the client workload must carry.
    public var sourceLabels: [String: String]
    /// Namespace the client workload must run in.
    public var sourceNamespace: String?
    /// Gateways the rule applies to; empty inherits the VirtualService's `gateways`.
    public var gateways: [String]

    public init(
        destinationSubnets: [String] = [], port: Int? = nil, sourceLabels: [String: String] = [:],
        sourceNamespace: String? = nil, gateways: [String] = []
    ) {
        self.destinationSubnets = destinationSubnets
        self.port = port
        self.sourceLabels = sourceLabels
        self.sourceNamespace = sourceNamespace
        self.gateways = gateways
    }
}

/// Istio's `TLSMatchAttributes`: SNI plus the L4 attributes.
public struct TLSMatchAttributes: Sendable, Hashable {
    /// Server names to match; wildcards like `*.example.com` are allowed. Required.
    public var sniHosts: [String]
    public var destinationSubnets: [String]
    public var port: Int?
    public var sourceLabels: [String: String]
    public var sourceNamespace: String?
    public var gateways: [String]

    public init(
        sniHosts: [String], destinationSubnets: [String] = [], port: Int? = nil,
        sourceLabels: [String: String] = [:], sourceNamespace: String? = nil, gateways: [String] = []
    ) {
        self.sniHosts = sniHosts
        self.destinationSubnets = destinationSubnets
        self.port = port
        self.sourceLabels = sourceLabels
        self.sourceNamespace = sourceNamespace
        self.gateways = gateways
    }
}

/// Istio's `RouteDestination` (tcp and tls routes): a destination and its share of connections.
public struct RouteDestination: Sendable, Hashable {
    public var destination: Destination
    /// 0-100; a lone destination without weight gets 100.
    public var weight: Int

    public init(destination: Destination, weight: Int) {
        self.destination = destination
        self.weight = weight
    }
}
