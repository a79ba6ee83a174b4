/// Istio `VirtualService`, HTTP routes.
public struct VirtualService: Sendable, Hashable {
    public var meta: ObjectMeta
    /// As written: short names, FQDNs or wildcards. Resolve short names with `Hostname.resolve`.
    public var hosts: [String]
    /// Empty means `mesh` only.
    public var gateways: [String]
    public var exportTo: [String]
    public var http: [HTTPRoute]
    /// `spec.tcp`: opaque TCP routes (see VirtualService+TCP.swift).
    public var tcp: [TCPRoute] = []
    /// `spec.tls`: SNI routes for TLS that is passed through.
    public var tls: [TLSRoute] = []

    public init(
        meta: ObjectMeta, hosts: [String], gateways: [String] = [], exportTo: [String] = [], http: [HTTPRoute] = []
    ) {
        self.meta = meta
        self.hosts = hosts
        self.gateways = gateways
        self.exportTo = exportTo
        self.http = http
    }
}

/// Istio's `StringMatch`: one of exact, prefix or regex (RE2 syntax), or `{}` (`any`).
public enum StringMatch: Sendable, Hashable {
    case exact(String)
    case prefix(String)
    case regex(String)
    /// `{}` (no match type): any value. For a header or query parameter that means "present", as Istio translates it.
    case any
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
