/// How to reach an etcd cluster: its members' client URLs, TLS material, credentials and time limits.
///
/// Holds a password: never log it (`description` leaves it out).
public struct EtcdConnection: Sendable, CustomStringConvertible {
    /// TLS client settings for `https://` endpoints: files read when a connection is made.
    public struct TLS: Sendable, Hashable {
        /// PEM roots the members' certificates must chain to; nil uses the system's roots.
        public var trustedCAFile: String?
        /// PEM client certificate (chain) and key, for a cluster that runs with `--client-cert-auth`.
        public var certificateFile: String?
        public var keyFile: String?

        public init(trustedCAFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
            self.trustedCAFile = trustedCAFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// etcd's user name and password authentication (`Auth.Authenticate`): the token it returns goes with each call.
    public struct Credentials: Sendable, Hashable {
        public var user: String
        public var password: String

        public init(user: String, password: String) {
            self.user = user
            self.password = password
        }
    }

    public var endpoints: [EtcdEndpoint]
    public var tls: TLS
    public var credentials: Credentials?
    /// The longest any single call (not a watch) may take, connecting included.
    public var requestTimeout: Duration
    /// HTTP/2 keepalive on the connection, so that a member that vanished without closing is noticed.
    public var keepaliveTime: Duration
    public var keepaliveTimeout: Duration

    public init(
        endpoints: [EtcdEndpoint], tls: TLS = TLS(), credentials: Credentials? = nil,
        requestTimeout: Duration = .seconds(5), keepaliveTime: Duration = .seconds(10),
        keepaliveTimeout: Duration = .seconds(5)
    ) {
        self.endpoints = endpoints
        self.tls = tls
        self.credentials = credentials
        self.requestTimeout = requestTimeout
        self.keepaliveTime = keepaliveTime
        self.keepaliveTimeout = keepaliveTimeout
    }

    public var description: String {
        let user = credentials.map { ", user \($0.user)" } ?? ""
        return "etcd \(endpoints.map(\.description).joined(separator: ","))\(user)"
    }
}
