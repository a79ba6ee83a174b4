import MeshModel
import XDSServer
import XDSTranslator

extension DiffPlanner {
    /// Sets `sources` on the rows of `type`: what an added or changed resource is generated from in `new`, as the
    /// generators name it (`TranslatedResource.sources`), and what a removed one came from, as the resource the proxy
    /// was sent names it (`XDSResource.sources`), located in `new` where it is still there.
    func fillSources(
        _ rows: inout [ResourceDiffJSON], _ type: XDSType, sent: [XDSResource], new: MeshSnapshot, _ proxy: Proxy
    ) {
        let indices = rows.indices.filter { rows[$0].type == type.shortName }
        guard !indices.isEmpty else { return }
        let proposed = sources(type, new, proxy)
        var removed: [String: [String]] = [:]
        for resource in sent where removed[resource.name] == nil {
            removed[resource.name] = resource.sources.map { key in Self.describe(key, in: new) ?? key.description }
        }
        for index in indices {
            let named = rows[index].action == "removed" ? removed[rows[index].name] : proposed[rows[index].name]
            if let named, !named.isEmpty { rows[index].sources = named }
        }
    }

    /// Resource name -> `Kind/ns/name (file:line (document n))` of each object it is generated from in `snapshot`.
    private func sources(_ type: XDSType, _ snapshot: MeshSnapshot, _ proxy: Proxy) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for resource in translator.generate(typeURL: type.rawValue, snapshot: snapshot, proxy: proxy)
        where result[resource.name] == nil {
            result[resource.name] = resource.sources.compactMap { key in Self.describe(key, in: snapshot) }
        }
        return result
    }

    /// `Kind/ns/name (file:line (document n))`, where `snapshot` has the object; nil when it does not.
    private static func describe(_ key: ResourceKey, in snapshot: MeshSnapshot) -> String? {
        snapshot.objects[key].map { "\(key) (\($0.source))" }
    }
}
