public import Foundation
public import MeshModel
public import XDSTranslator

/// One request to simulate, as `meshd authz check` reads it from a `--requests` file (or builds it from its flags),
/// and as tests write their scenarios: a source, a destination, and the request. `resolve(in:)` finds the destination
/// proxy and the request as that proxy sees it.
public struct AuthorizationCheckRequest: Decodable, Sendable {
    public struct Source: Decodable, Sendable {
        /// `namespace/name` of a Pod or WorkloadEntry: its IP and its mTLS identity.
        public var workload: String?
        /// A peer identity (`spiffe://…` or `<td>/ns/<ns>/sa/<sa>`).
        var principal: String?
        /// With no principal: the identity `spiffe://<td>/ns/<namespace>/sa/default`.
        public var namespace: String?
        public var serviceAccount: String?
        public var ip: String?
        /// The client's original address (`remote.ip`, e.g. from x-forwarded-for at a gateway).
        public var remoteIP: String?
        /// A client without a sidecar: no mTLS identity.
        public var plaintext: Bool?
        /// TLS SNI (for gateways and `connection.sni`).
        public var sni: String?

        public init(
            workload: String? = nil, principal: String? = nil, namespace: String? = nil, serviceAccount: String? = nil,
            ip: String? = nil, remoteIP: String? = nil, plaintext: Bool? = nil, sni: String? = nil
        ) {
            self.workload = workload
            self.principal = principal
            self.namespace = namespace
            self.serviceAccount = serviceAccount
            self.ip = ip
            self.remoteIP = remoteIP
            self.plaintext = plaintext
            self.sni = sni
        }
    }

    public struct Destination: Decodable, Sendable {
        public var workload: String?
        /// The container port, with `workload`.
        public var port: Int?
        /// `host:port` of a service: its first endpoint at the target port.
        public var service: String?

        public init(workload: String? = nil, port: Int? = nil, service: String? = nil) {
            self.workload = workload
            self.port = port
            self.service = service
        }
    }

    public var name: String?
    public var from: Source
    public var to: Destination
    public var method: String?
    public var path: String?
    public var host: String?
    public var headers: [String: String]?
    public var token: String?
    /// A verified JWT payload, standing for a token signed by the provider's keys.
    public var claims: MetadataValue?
    /// `ALLOW`, `DENY`, `DENY (401)`, `CUSTOM`: a mismatch makes the exit status 1.
    public var expect: String?

    public init(
        name: String? = nil, from: Source, to: Destination, method: String? = nil, path: String? = nil,
        host: String? = nil,
        headers: [String: String]? = nil, token: String? = nil, claims: MetadataValue? = nil, expect: String? = nil
    ) {
        self.name = name
        self.from = from
        self.to = to
        self.method = method
        self.path = path
        self.host = host
        self.headers = headers
        self.token = token
        self.claims = claims
        self.expect = expect
    }
}

extension AuthorizationCheckRequest {
    /// The destination proxy and the request as it reaches it.
    public func resolve(in targets: SimulationTargets) throws(SimulationInputError) -> (Proxy, SimulatedRequest) {
        let destination: MeshWorkload
        let port: Int
        if let service = to.service {
            (destination, port) = try targets.service(service, field: "to.service")
        } else if let workload = to.workload {
            destination = try targets.workload(workload, field: "to.workload")
            guard let given = to.port else {
                throw SimulationInputError(field: "to.port", reason: "required with to.workload")
            }
            port = given
        } else {
            throw SimulationInputError(field: "to", reason: "give to.service (host:port) or to.workload and to.port")
        }
        var sourceIP = from.ip ?? "192.0.2.1"
        var principal: String?
        let trustDomain = targets.snapshot.meshConfig.trustDomain
        if let workload = from.workload {
            let source = try targets.workload(workload, field: "from.workload")
            sourceIP = from.ip ?? source.address
            principal = targets.principal(of: source)
        } else if let given = from.principal {
            principal = given.hasPrefix("spiffe://") ? given : "spiffe://\(given)"
        } else if let namespace = from.namespace {
            principal = "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(from.serviceAccount ?? "default")"
        }
        if from.plaintext == true { principal = nil }
        let request = SimulatedRequest(
            sourceIP: sourceIP, remoteIP: from.remoteIP, principal: principal, serverName: from.sni,
            destinationIP: destination.address, destinationPort: port, method: method ?? "GET", path: path ?? "/",
            host: host ?? to.service ?? destination.address,
            headers: (headers ?? [:]).sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }, token: token,
            claims: claims)
        return (targets.proxy(of: destination), request)
    }
}

extension AuthorizationSimulator {
    /// The decision for `request` in `snapshot`: resolves the destination proxy, generates its listeners with the
    /// translator (`settings` as meshd runs it) and evaluates them. What E2E tests compare with a real Envoy.
    public static func check(
        _ request: AuthorizationCheckRequest, in snapshot: MeshSnapshot,
        settings: TranslatorSettings = TranslatorSettings(),
        now: Date = Date()
    ) throws(SimulationInputError) -> AuthorizationDecision {
        let (proxy, simulated) = try request.resolve(in: SimulationTargets(snapshot: snapshot))
        return AuthorizationSimulator(snapshot: snapshot, proxy: proxy, settings: settings).check(simulated, now: now)
    }
}
