/// One request (or, on a TCP chain, one connection) as the destination proxy sees it.
public struct SimulatedRequest: Sendable, Hashable {
    /// The peer's address (`source.ip`, RBAC `direct_remote_ip`).
    public var sourceIP: String
    /// The original client address (`remote.ip`, RBAC `remote_ip`): from `x-forwarded-for` at a gateway; defaults to
    /// `sourceIP`.
    public var remoteIP: String?
    /// The peer's mTLS identity (URI SAN, `spiffe://<td>/ns/<ns>/sa/<sa>`); nil for a plaintext connection.
    public var principal: String?
    /// TLS SNI the client sent (`connection.sni`, RBAC `requested_server_name`).
    public var serverName: String?
    public var destinationIP: String
    public var destinationPort: Int
    public var method: String
    /// `:path`, query included (RBAC `url_path` matches it without the query).
    public var path: String
    /// `:authority`.
    public var host: String
    /// Request headers (lower-cased names), in order; repeated names are joined with "," for matching, as Envoy does.
    public var headers: [(name: String, value: String)]
    /// A JWT as the client sent it; placed in `authorization: Bearer` unless a header already carries it.
    public var token: String?
    /// A verified JWT payload given directly (instead of a token): the claims jwt_authn would publish.
    public var claims: MetadataValue?

    public init(
        sourceIP: String, remoteIP: String? = nil, principal: String? = nil, serverName: String? = nil,
        destinationIP: String, destinationPort: Int, method: String = "GET", path: String = "/", host: String = "",
        headers: [(name: String, value: String)] = [], token: String? = nil, claims: MetadataValue? = nil
    ) {
        self.sourceIP = sourceIP
        self.remoteIP = remoteIP
        self.principal = principal
        self.serverName = serverName
        self.destinationIP = destinationIP
        self.destinationPort = destinationPort
        self.method = method
        self.path = path
        self.host = host
        self.headers = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        self.token = token
        self.claims = claims
    }

    /// The value of header `name` as Envoy's matchers see it: pseudo-headers from the request line, repeated
    /// headers joined with ",", nil when absent.
    public func header(_ name: String) -> String? {
        switch name.lowercased() {
        case ":method": return method
        case ":path": return path
        case ":authority", "host": return host.isEmpty ? nil : host
        case ":scheme": return "http"
        default:
            let values = headers.filter { $0.name == name.lowercased() }.map(\.value)
            return values.isEmpty ? nil : values.joined(separator: ",")
        }
    }

    /// The path without its query string or fragment.
    var pathOnly: String {
        String(path.prefix { $0 != "?" && $0 != "#" })
    }

    /// The value of query parameter `name`, if present.
    func queryParameter(_ name: String) -> String? {
        guard let query = path.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first.map(String.init) == name { return parts.count > 1 ? String(parts[1]) : "" }
        }
        return nil
    }

    public static func == (lhs: SimulatedRequest, rhs: SimulatedRequest) -> Bool {
        lhs.sourceIP == rhs.sourceIP && lhs.remoteIP == rhs.remoteIP && lhs.principal == rhs.principal
            && lhs.serverName == rhs.serverName && lhs.destinationIP == rhs.destinationIP
            && lhs.destinationPort == rhs.destinationPort && lhs.method == rhs.method && lhs.path == rhs.path
            && lhs.host == rhs.host && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value) && lhs.token == rhs.token
            && lhs.claims == rhs.claims
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sourceIP)
        hasher.combine(destinationPort)
        hasher.combine(path)
    }
}
