/// Istio `Gateway` (`networking.istio.io`): the ports, protocols, hosts and TLS settings that a gateway proxy (a
/// router, node id `router~...`) whose labels contain `selector` exposes at the edge of the mesh.
///
/// VirtualServices attach to a Gateway by naming it in their `gateways` field (`namespace/name`, or `name` in the
/// VirtualService's own namespace).
public struct Gateway: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `spec.selector`: the labels of the gateway workloads this Gateway configures. Empty selects every router.
    public var selector: [String: String]
    public var servers: [GatewayServer]

    public init(meta: ObjectMeta, selector: [String: String] = [:], servers: [GatewayServer] = []) {
        self.meta = meta
        self.selector = selector
        self.servers = servers
    }

    /// True when a gateway workload with `labels` is configured by this Gateway (in any namespace, as Istio's
    /// default `PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false`).
    public func selects(labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// `namespace/name`, the form VirtualServices use in `gateways`.
    public var qualifiedName: String { "\(meta.namespace)/\(meta.name)" }
}

/// One entry of `spec.servers`: a port with its protocol, the hosts served on it and, for HTTPS and TLS, how TLS is
/// handled.
public struct GatewayServer: Sendable, Hashable {
    public var port: GatewayPort
    /// `bind`: the address the listener binds to; nil means `0.0.0.0`.
    public var bind: String?
    /// `namespace/host` or `host` entries; `*` wildcards allowed.
    public var hosts: [String]
    public var tls: ServerTLSSettings?
    /// `name`: an optional unique name of the server.
    public var name: String?

    public init(
        port: GatewayPort, bind: String? = nil, hosts: [String], tls: ServerTLSSettings? = nil, name: String? = nil
    ) {
        self.port = port
        self.bind = bind
        self.hosts = hosts
        self.tls = tls
        self.name = name
    }
}

/// `port` of a Gateway server.
public struct GatewayPort: Sendable, Hashable {
    public var number: Int
    /// As written (`HTTP`, `HTTPS`, `GRPC`, `HTTP2`, `MONGO`, `TCP`, `TLS`); see `kind` for the parsed form.
    public var `protocol`: String
    public var name: String
    /// `targetPort`: not used by Istio's classic Gateway translation.
    public var targetPort: Int?

    public init(number: Int, protocol: String, name: String, targetPort: Int? = nil) {
        self.number = number
        self.protocol = `protocol`
        self.name = name
        self.targetPort = targetPort
    }

    /// How a port is served, from its protocol (case-insensitive, as Istio parses it).
    public enum Kind: Sendable, Hashable {
        /// HTTP, HTTP2, GRPC: an HTTP connection manager.
        case http
        /// HTTPS: TLS (terminated or passed through) carrying HTTP.
        case https
        /// TLS: SNI-routed TLS, passed through or terminated into TCP.
        case tls
        /// TCP, MONGO, REDIS, MYSQL: opaque TCP.
        case tcp
        case unknown
    }

    public var kind: Kind {
        switch `protocol`.uppercased() {
        case "HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY": .http
        case "HTTPS": .https
        case "TLS": .tls
        case "TCP", "MONGO", "REDIS", "MYSQL": .tcp
        default: .unknown
        }
    }
}

/// `tls` of a Gateway server.
public struct ServerTLSSettings: Sendable, Hashable {
    /// `tls.mode`.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Forward the TLS connection untouched, chosen by SNI.
        case passthrough = "PASSTHROUGH"
        /// Terminate TLS with a server certificate.
        case simple = "SIMPLE"
        /// Terminate TLS and require a client certificate signed by the configured CA.
        case mutual = "MUTUAL"
        /// Passthrough by SNI to `outbound_.<port>_.<subset>_.<host>` clusters, without VirtualServices.
        case autoPassthrough = "AUTO_PASSTHROUGH"
        /// Terminate with the mesh's own workload certificate and require a mesh client certificate.
        case istioMutual = "ISTIO_MUTUAL"
        /// Like MUTUAL, but a client certificate is optional.
        case optionalMutual = "OPTIONAL_MUTUAL"
    }

    /// `minProtocolVersion` / `maxProtocolVersion`.
    public enum ProtocolVersion: String, Sendable, Hashable, CaseIterable {
        case auto = "TLS_AUTO"
        case v1_0 = "TLSV1_0"
        case v1_1 = "TLSV1_1"
        case v1_2 = "TLSV1_2"
        case v1_3 = "TLSV1_3"
    }

    public var httpsRedirect: Bool
    public var mode: Mode
    /// File paths on the gateway proxy (instead of `credentialName`).
    public var serverCertificate: String?
    public var privateKey: String?
    public var caCertificates: String?
    /// The Kubernetes Secret (in the gateway workload's namespace) holding the certificate, key and optionally CA.
    public var credentialName: String?
    public var subjectAltNames: [String]
    public var verifyCertificateSpki: [String]
    public var verifyCertificateHash: [String]
    public var minProtocolVersion: ProtocolVersion?
    public var maxProtocolVersion: ProtocolVersion?
    public var cipherSuites: [String]

    public init(
        httpsRedirect: Bool = false, mode: Mode = .passthrough, serverCertificate: String? = nil,
        privateKey: String? = nil, caCertificates: String? = nil, credentialName: String? = nil,
        subjectAltNames: [String] = [], verifyCertificateSpki: [String] = [], verifyCertificateHash: [String] = [],
        minProtocolVersion: ProtocolVersion? = nil, maxProtocolVersion: ProtocolVersion? = nil,
        cipherSuites: [String] = []
    ) {
        self.httpsRedirect = httpsRedirect
        self.mode = mode
        self.serverCertificate = serverCertificate
        self.privateKey = privateKey
        self.caCertificates = caCertificates
        self.credentialName = credentialName
        self.subjectAltNames = subjectAltNames
        self.verifyCertificateSpki = verifyCertificateSpki
        self.verifyCertificateHash = verifyCertificateHash
        self.minProtocolVersion = minProtocolVersion
        self.maxProtocolVersion = maxProtocolVersion
        self.cipherSuites = cipherSuites
    }
}
