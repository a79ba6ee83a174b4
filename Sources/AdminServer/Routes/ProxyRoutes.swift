import Discovery
import Foundation
import Hummingbird
import MeshModel
import XDSServer
import XDSTranslator

/// `/debug/connections` and `/debug/config_dump?proxyID=`: who is connected, and exactly what meshd
/// generates for one of them now.
struct ProxyRoutes {
    let context: AdminContext

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.get("/debug/connections") { _, _ in
            Responses.json(context.provider.connected.all().map { ConnectionJSON($0) })
        }
        router.get("/debug/config_dump") { request, _ -> Response in
            guard let proxyID = request.uri.queryParameters.get("proxyID") else {
                return Responses.badRequest("config_dump needs ?proxyID=<pod>.<namespace> or the full node id; see /debug/connections")
            }
            guard let proxy = context.provider.connected.proxy(id: proxyID) else {
                return Responses.notFound("no connected proxy \"\(proxyID)\"; see /debug/connections")
            }
            return Responses.jsonObject(
                Self.configDump(
                    for: proxy, snapshot: context.provider.snapshot, generation: context.provider.generation,
                    settings: context.provider.translatorSettings))
        }
    }

    /// Per type: the set version (as sent over SotW) and every resource with its own version and Envoy JSON.
    static func configDump(
        for proxy: Proxy, snapshot: MeshSnapshot, generation: UInt64, settings: TranslatorSettings = TranslatorSettings()
    ) -> [String: Any] {
        let translator = XDSTranslator(settings: settings)
        var types: [String: Any] = [:]
        for type in XDSType.pushOrder where type != .secret {
            let messages = translator.generateMessages(typeURL: type.rawValue, snapshot: snapshot, proxy: proxy)
            let packed = translator.generate(typeURL: type.rawValue, snapshot: snapshot, proxy: proxy)
            let resources = packed.compactMap { try? XDSResource(name: $0.name, resource: $0.resource) }
            let versions = Dictionary(resources.map { ($0.name, $0.version) }, uniquingKeysWith: { first, _ in first })
            let rows: [[String: Any]] = messages.map { message in
                var row: [String: Any] = ["name": message.name, "version": versions[message.name] ?? ""]
                if let json = try? message.message.jsonString(),
                    let object = try? JSONSerialization.jsonObject(with: Data(json.utf8))
                {
                    row["resource"] = object
                }
                return row
            }
            types[type.shortName] = ["typeUrl": type.rawValue, "version": XDSResource.setVersion(of: resources), "resources": rows]
        }
        return ["proxy": proxy.id, "generation": generation, "snapshotVersion": snapshot.version, "types": types]
    }
}
