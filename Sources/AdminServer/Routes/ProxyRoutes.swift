import Discovery
import Foundation
import Hummingbird
import XDSServer

/// `/debug/connections` and `/debug/config_dump?proxyID=`: who is connected, and exactly what meshd last sent one of
/// them and what it accepted, read from the ADS server's record of the connection (never generated anew).
struct ProxyRoutes {
    let context: AdminContext

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.get("/debug/connections") { _, _ in
            Responses.json(context.provider.connected.all().map { ConnectionJSON($0) })
        }
        router.get("/debug/config_dump") { request, _ -> Response in
            guard let proxyID = request.uri.queryParameters.get("proxyID") else {
                return Responses.badRequest(
                    "config_dump needs ?proxyID=<pod>.<namespace> or the full node id; see /debug/connections")
            }
            guard let connection = context.provider.connected.connection(id: proxyID) else {
                return Responses.notFound("no connected proxy \"\(proxyID)\"; see /debug/connections")
            }
            return Responses.jsonObject(
                Self.configDump(
                    of: connection, generation: context.provider.generation,
                    snapshotVersion: context.provider.snapshot.version))
        }
    }

    /// Per type, what the connection was last sent and what it accepted: the version, nonce and generation of the last
    /// response (`version`, `nonce`, `generation`, and `sentResources`, the names it carried), every resource the proxy
    /// holds as sent with its own version and Envoy JSON (`resources`), and what it ACKed (`ackedVersion`, `acked`,
    /// and `ackedResources`, name to version; for Delta each resource's own). Secrets are listed by name and version
    /// only. `generation` and `snapshotVersion` at the top are the control plane's current ones, to compare with.
    static func configDump(
        of connection: XDSConnection<ProxyClient>, generation: UInt64, snapshotVersion: String
    ) -> [String: Any] {
        var types: [String: Any] = [:]
        for type in XDSType.pushOrder {
            guard let sent = connection.sent(type) else { continue }
            types[type.shortName] = typeDump(sent)
        }
        return [
            "proxy": connection.client.proxy.id, "connection": connection.id,
            "protocol": connection.streamProtocol.rawValue,
            "generation": generation, "snapshotVersion": snapshotVersion, "types": types,
        ]
    }

    private static func typeDump(_ sent: SentTypeState) -> [String: Any] {
        let content = Dictionary(sent.heldResources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let rows: [[String: Any]] = sent.heldVersions.keys.sorted().map { name in
            var row: [String: Any] = ["name": name, "version": sent.heldVersions[name] ?? ""]
            if sent.type != .secret, let resource = content[name], let object = ResourceJSON.object(of: resource) {
                row["resource"] = object
            }
            return row
        }
        var dump: [String: Any] = [
            "typeUrl": sent.type.rawValue, "version": sent.lastSent?.version ?? "", "resources": rows,
            "ackedResources": sent.ackedVersions,
        ]
        if let last = sent.lastSent {
            dump["nonce"] = last.nonce
            dump["generation"] = last.generation
            dump["sentResources"] = last.resourceNames
        }
        if let version = sent.ackedVersion { dump["ackedVersion"] = version }
        if let acked = sent.acked {
            dump["acked"] =
                ["version": acked.version, "nonce": acked.nonce, "generation": acked.generation] as [String: Any]
        }
        if let rejected = sent.rejectedVersion { dump["rejectedVersion"] = rejected }
        return dump
    }
}
