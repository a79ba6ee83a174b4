/// What the redirect captures, from Istio's `traffic.sidecar.istio.io/` pod annotations (istio-iptables' `-i`, `-x`,
/// `-b`, `-d`, `-o` and `-q` flags). The defaults capture every TCP connection in and out, as the annotations'
/// defaults do.
public struct InterceptionSettings: Sendable, Hashable {
    /// `includeOutboundIPRanges`: the destinations redirected; nil is `*` (every address), empty is none.
    public var includeOutboundIPRanges: [String]?
    /// `excludeOutboundIPRanges`: destinations never redirected.
    public var excludeOutboundIPRanges: [String]
    /// `includeOutboundPorts`: destination ports redirected even outside `includeOutboundIPRanges`.
    public var includeOutboundPorts: [Int]
    /// `excludeOutboundPorts`: destination ports never redirected.
    public var excludeOutboundPorts: [Int]
    /// `includeInboundPorts`: the ports whose inbound connections go to Envoy; nil is `*`, empty is none.
    public var includeInboundPorts: [Int]?
    /// `excludeInboundPorts`: ports left alone when every port is included, on top of Istio's own ports.
    public var excludeInboundPorts: [Int]

    public init(
        includeOutboundIPRanges: [String]? = nil, excludeOutboundIPRanges: [String] = [],
        includeOutboundPorts: [Int] = [], excludeOutboundPorts: [Int] = [], includeInboundPorts: [Int]? = nil,
        excludeInboundPorts: [Int] = []
    ) {
        self.includeOutboundIPRanges = includeOutboundIPRanges
        self.excludeOutboundIPRanges = excludeOutboundIPRanges
        self.includeOutboundPorts = includeOutboundPorts
        self.excludeOutboundPorts = excludeOutboundPorts
        self.includeInboundPorts = includeInboundPorts
        self.excludeInboundPorts = excludeInboundPorts
    }
}
