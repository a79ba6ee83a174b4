import AuthzSimulator
import EnvoyAPI
import Foundation
import MeshModel
import XDSServer
import XDSTranslator

/// The dry run behind `POST /debug/diff`: decode the given YAML, overlay it on the objects in force, and compare
/// what the translator generates for each connected proxy before and after. Pure: it reads the current objects
/// and snapshot and never touches the store, so nothing is applied.
///
/// The overlay replaces objects with the same `Kind/namespace/name` and adds new ones. It cannot express a
/// deletion: an object missing from the input stays as it is.
struct DiffPlanner {
    /// Types compared. SDS is left out: secrets never appear in diff output.
    static let types: [XDSType] = [.cluster, .endpoint, .listener, .route]

    var translator = XDSTranslator()

    /// Decodes `files`; with any error, returns them and compares nothing.
    func plan(files: [DiffInputFile], current: MeshSnapshot, proxies: [Proxy], withLineDiffs: Bool) -> DiffJSON {
        var errors: [ConfigDiagnostic] = []
        var warnings: [ConfigDiagnostic] = []
        var decoded: [ConfigObject] = []
        for input in files {
            let result = ConfigDecoder.decode(yaml: input.content, file: input.file)
            errors += result.errors
            warnings += result.warnings
            decoded += result.objects
        }
        errors += Self.duplicates(in: decoded)
        var json = DiffJSON(
            snapshotVersion: current.version, newSnapshotVersion: nil, errors: errors.map { .init($0) },
            warnings: warnings.map { .init($0) }, objects: [], proxies: [])
        json.objects = decoded.sorted { $0.key < $1.key }.map { object in
            let action = current.objects[object.key].map { $0.resource == object.resource ? "unchanged" : "updated" } ?? "added"
            return DiffJSON.Object(key: object.key.description, action: action, source: object.source.description)
        }
        guard errors.isEmpty else { return json }

        var overlay = current.objects
        for object in decoded { overlay[object.key] = object }
        // The mesh config and the key sets fetched from jwksUri are not objects: carry them over, or every CUSTOM
        // provider and JWT provider would look changed.
        var next = MeshSnapshot.build(from: Array(overlay.values))
        next.apply(meshConfig: current.meshConfig)
        next = next.withFetchedJWKS(current.fetchedJWKS)
        json.newSnapshotVersion = next.version
        json.proxies = proxies.map { diff(for: $0, from: current, to: next, withLineDiffs: withLineDiffs) }
        return json
    }

    /// Per type and resource name: added, removed, or changed (different content hash).
    func diff(for proxy: Proxy, from old: MeshSnapshot, to new: MeshSnapshot, withLineDiffs: Bool) -> ProxyDiffJSON {
        var rows: [ResourceDiffJSON] = []
        for type in Self.types {
            let before = versions(type, old, proxy)
            let after = versions(type, new, proxy)
            var changedNames: [String] = []
            for name in Set(before.keys).union(after.keys).sorted() {
                switch (before[name], after[name]) {
                case (nil, let version?):
                    rows.append(ResourceDiffJSON(type: type.shortName, name: name, action: "added", newVersion: version))
                case (let version?, nil):
                    rows.append(ResourceDiffJSON(type: type.shortName, name: name, action: "removed", oldVersion: version))
                case (let was?, let now?) where was != now:
                    rows.append(ResourceDiffJSON(type: type.shortName, name: name, action: "changed", oldVersion: was, newVersion: now))
                    changedNames.append(name)
                default:
                    break
                }
            }
            fillSources(&rows, type, old: old, new: new, proxy)
            guard withLineDiffs, !changedNames.isEmpty else { continue }
            let oldJSON = prettyJSON(type, old, proxy, names: Set(changedNames))
            let newJSON = prettyJSON(type, new, proxy, names: Set(changedNames))
            for index in rows.indices where rows[index].type == type.shortName && rows[index].action == "changed" {
                let name = rows[index].name
                let (lines, truncated) = LineDiff.unified(old: oldJSON[name] ?? [], new: newJSON[name] ?? [])
                rows[index].diff = lines
                if truncated { rows[index].diffTruncated = true }
            }
        }
        let count = { (action: String) in rows.filter { $0.action == action }.count }
        let listenersChanged = rows.contains { $0.type == XDSType.listener.shortName }
        let authorization = listenersChanged ? AuthorizationDiff.lines(old: listeners(old, proxy), new: listeners(new, proxy)) : []
        return ProxyDiffJSON(
            proxy: proxy.id, name: "\(proxy.podName).\(proxy.namespace)", added: count("added"), removed: count("removed"),
            changed: count("changed"), resources: rows, authorization: authorization.isEmpty ? nil : authorization)
    }

    private func listeners(_ snapshot: MeshSnapshot, _ proxy: Proxy) -> [Envoy_Config_Listener_V3_Listener] {
        translator.generateMessages(typeURL: TypeURL.listener, snapshot: snapshot, proxy: proxy)
            .compactMap { $0.message as? Envoy_Config_Listener_V3_Listener }
    }

    /// Resource name -> content hash, exactly as the ADS server versions what it sends.
    private func versions(_ type: XDSType, _ snapshot: MeshSnapshot, _ proxy: Proxy) -> [String: String] {
        let resources = translator.generate(typeURL: type.rawValue, snapshot: snapshot, proxy: proxy)
            .compactMap { try? XDSResource(name: $0.name, resource: $0.resource) }
        return Dictionary(resources.map { ($0.name, $0.version) }, uniquingKeysWith: { first, _ in first })
    }

    /// Resource name -> the lines of its pretty, key-sorted Envoy JSON, for the resources in `names`.
    private func prettyJSON(_ type: XDSType, _ snapshot: MeshSnapshot, _ proxy: Proxy, names: Set<String>) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for message in translator.generateMessages(typeURL: type.rawValue, snapshot: snapshot, proxy: proxy) where names.contains(message.name) {
            guard let compact = try? message.message.jsonString(),
                let object = try? JSONSerialization.jsonObject(with: Data(compact.utf8)),
                let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            else { continue }
            result[message.name] = String(decoding: pretty, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        return result
    }

    /// The same object declared in two input files (one file's duplicates are reported by the decoder).
    private static func duplicates(in objects: [ConfigObject]) -> [ConfigDiagnostic] {
        var first: [ResourceKey: SourceLocation] = [:]
        var problems: [ConfigDiagnostic] = []
        for object in objects {
            if let earlier = first[object.key] {
                problems.append(
                    ConfigDiagnostic(
                        file: object.source.file, document: object.source.document, line: object.source.line, object: object.key,
                        fieldPath: "", reason: "duplicate \(object.key): already declared at \(earlier.description)", severity: .error))
            } else {
                first[object.key] = object.source
            }
        }
        return problems
    }
}
