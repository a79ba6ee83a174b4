import AuthzSimulator
import Foundation
import MeshModel
import Yams

/// One request of a `--requests` file (or of the command-line flags).
struct AuthzRequestSpec: Decodable, Sendable {
    struct Source: Decodable, Sendable {
        /// `namespace/name` of a Pod or WorkloadEntry: its IP and its mTLS identity.
        var workload: String?
        /// A peer identity (`spiffe://…` or `<td>/ns/<ns>/sa/<sa>`).
        var principal: String?
        /// With no principal: the identity `spiffe://<td>/ns/<namespace>/sa/default`.
        var namespace: String?
        var serviceAccount: String?
        var ip: String?
        /// The client's original address (`remote.ip`, e.g. from x-forwarded-for at a gateway).
        var remoteIP: String?
        /// A client without a sidecar: no mTLS identity.
        var plaintext: Bool?
        /// TLS SNI (for gateways and `connection.sni`).
        var sni: String?
    }

    struct Destination: Decodable, Sendable {
        var workload: String?
        /// The container port, with `workload`.
        var port: Int?
        /// `host:port` of a service: its first endpoint at the target port.
        var service: String?
    }

    var name: String?
    var from: Source
    var to: Destination
    var method: String?
    var path: String?
    var host: String?
    var headers: [String: String]?
    var token: String?
    /// A verified JWT payload, standing for a token signed by the provider's keys.
    var claims: MetadataValue?
    /// `ALLOW`, `DENY`, `DENY (401)`, `CUSTOM`: a mismatch makes the exit status 1.
    var expect: String?
}

/// A `--requests` file: `requests: [...]`.
struct AuthzRequestFile: Decodable {
    var requests: [AuthzRequestSpec]

    static func read(_ path: String) throws -> [AuthzRequestSpec] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SimulationInputError(field: path, reason: "cannot read the file")
        }
        do {
            return try YAMLDecoder().decode(AuthzRequestFile.self, from: text).requests
        } catch {
            throw SimulationInputError(field: path, reason: "not a requests file (requests: [{from, to, method, path, ...}]): \(error)")
        }
    }
}

extension AuthzRequestSpec {
    /// The destination proxy and the request as it reaches it.
    func resolve(in targets: SimulationTargets) throws(SimulationInputError) -> (Proxy, SimulatedRequest) {
        let destination: MeshWorkload
        let port: Int
        if let service = to.service {
            (destination, port) = try targets.service(service, field: "to.service")
        } else if let workload = to.workload {
            destination = try targets.workload(workload, field: "to.workload")
            guard let given = to.port else { throw SimulationInputError(field: "to.port", reason: "required with to.workload") }
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
