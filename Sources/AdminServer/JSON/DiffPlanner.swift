import AuthzSimulator
import Discovery
import EnvoyAPI
import Foundation
import MeshModel
import SwiftProtobuf
import XDSServer
import XDSTranslator

/// One connected proxy as a diff sees it: who it is, and what it was last sent of each type (the current side).
struct DiffTarget: Sendable {
    var proxy: Proxy
    var sent: [XDSType: SentTypeState]

    init(proxy: Proxy, sent: [XDSType: SentTypeState]) {
        self.proxy = proxy
        self.sent = sent
    }

    /// What `connection` was last sent of every type the diff compares.
    init(_ connection: XDSConnection<ProxyClient>) {
        self.init(
            proxy: connection.client.proxy,
            sent: Dictionary(
                uniqueKeysWithValues: DiffPlanner.types.compactMap { type in connection.sent(type).map { (type, $0) } })
        )
    }
}

/// The dry run behind `POST /debug/diff`: decode the given YAML, overlay it on the objects in force, and compare,
/// for each connected proxy, what it was last sent (the current side, as the ADS server recorded it) with what the
/// translator generates for it from the overlay (the proposed side: the only translation a diff runs). Pure: it
/// reads the current objects and never touches the store, so nothing is applied.
///
/// The overlay replaces objects with the same `Kind/namespace/name` and adds new ones. It cannot express a
/// deletion: an object missing from the input stays as it is.
struct DiffPlanner {
    /// Types compared. SDS is left out: secrets never appear in diff output.
    static let types: [XDSType] = [.cluster, .endpoint, .listener, .route]

    var translator = XDSTranslator()

    /// Decodes `files`; with any error, returns them and compares nothing.
    func plan(files: [DiffInputFile], current: MeshSnapshot, proxies: [DiffTarget], withLineDiffs: Bool) -> DiffJSON {
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
            let action =
                current.objects[object.key].map { $0.resource == object.resource ? "unchanged" : "updated" } ?? "added"
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
        json.proxies = proxies.map { diff(for: $0, to: next, withLineDiffs: withLineDiffs) }
        return json
    }

    /// Per type and resource name: added, removed, or changed (different content hash), from what the proxy was
    /// last sent to what `new` gives it. A type the proxy never asked for is left out. For EDS and RDS, whose names
    /// Envoy subscribes from the clusters and listeners it gets, the proposed side keeps the names the proxy subscribes
    /// to and those the proposed clusters and listeners name.
    func diff(for target: DiffTarget, to new: MeshSnapshot, withLineDiffs: Bool) -> ProxyDiffJSON {
        let proxy = target.proxy
        var rows: [ResourceDiffJSON] = []
        var proposedListeners: [Envoy_Config_Listener_V3_Listener] = []
        var named: [XDSType: Set<String>] = [:]
        for type in Self.types {
            guard let sent = target.sent[type] else { continue }
            let before = sent.heldVersions
            var after = versions(type, new, proxy)
            if !sent.wildcard { after = after.filter { sent.wants($0.key) || named[type]?.contains($0.key) == true } }
            if type == .cluster || type == .listener {
                let messages = translator.generateMessages(typeURL: type.rawValue, snapshot: new, proxy: proxy).filter {
                    after[$0.name] != nil
                }
                if type == .cluster {
                    named[.endpoint] = Self.endpointNames(
                        messages.compactMap { $0.message as? Envoy_Config_Cluster_V3_Cluster })
                } else {
                    proposedListeners = messages.compactMap { $0.message as? Envoy_Config_Listener_V3_Listener }
                    named[.route] = Self.routeNames(proposedListeners)
                }
            }
            var changedNames: [String] = []
            for name in Set(before.keys).union(after.keys).sorted() {
                switch (before[name], after[name]) {
                case (nil, let version?):
                    rows.append(
                        ResourceDiffJSON(type: type.shortName, name: name, action: "added", newVersion: version))
                case (let version?, nil):
                    rows.append(
                        ResourceDiffJSON(type: type.shortName, name: name, action: "removed", oldVersion: version))
                case (let was?, let now?) where was != now:
                    rows.append(
                        ResourceDiffJSON(
                            type: type.shortName, name: name, action: "changed", oldVersion: was, newVersion: now))
                    changedNames.append(name)
                default:
                    break
                }
            }
            fillSources(&rows, type, sent: sent.heldResources, new: new, proxy)
            guard withLineDiffs, !changedNames.isEmpty else { continue }
            let names = Set(changedNames)
            let oldJSON = Self.prettyJSON(
                sent.heldResources.filter { names.contains($0.name) }.compactMap { resource in
                    ResourceJSON.message(of: resource).map { (resource.name, $0) }
                })
            let newJSON = Self.prettyJSON(
                translator.generateMessages(typeURL: type.rawValue, snapshot: new, proxy: proxy)
                    .filter { names.contains($0.name) }.map { ($0.name, $0.message) })
            for index in rows.indices where rows[index].type == type.shortName && rows[index].action == "changed" {
                let name = rows[index].name
                let (lines, truncated) = LineDiff.unified(old: oldJSON[name] ?? [], new: newJSON[name] ?? [])
                rows[index].diff = lines
                if truncated { rows[index].diffTruncated = true }
            }
        }
        let count = { (action: String) in rows.filter { $0.action == action }.count }
        let listenersChanged = rows.contains { $0.type == XDSType.listener.shortName }
        let sentListeners = (target.sent[.listener]?.heldResources ?? []).compactMap {
            ResourceJSON.message(of: $0) as? Envoy_Config_Listener_V3_Listener
        }
        let authorization = listenersChanged ? AuthorizationDiff.lines(old: sentListeners, new: proposedListeners) : []
        return ProxyDiffJSON(
            proxy: proxy.id, name: "\(proxy.podName).\(proxy.namespace)", added: count("added"),
            removed: count("removed"),
            changed: count("changed"), resources: rows, authorization: authorization.isEmpty ? nil : authorization)
    }

    /// Resource name -> content hash, exactly as the ADS server versions what it sends.
    private func versions(_ type: XDSType, _ snapshot: MeshSnapshot, _ proxy: Proxy) -> [String: String] {
        let resources = translator.generate(typeURL: type.rawValue, snapshot: snapshot, proxy: proxy)
            .compactMap { try? XDSResource(name: $0.name, resource: $0.resource) }
        return Dictionary(resources.map { ($0.name, $0.version) }, uniquingKeysWith: { first, _ in first })
    }

    /// The EDS names Envoy subscribes to for `clusters`: each EDS cluster's service name, or its own name.
    static func endpointNames(_ clusters: [Envoy_Config_Cluster_V3_Cluster]) -> Set<String> {
        Set(
            clusters.filter { $0.type == .eds }.map {
                $0.edsClusterConfig.serviceName.isEmpty ? $0.name : $0.edsClusterConfig.serviceName
            })
    }

    /// The RDS names Envoy subscribes to for `listeners`: every HTTP connection manager's `rds.route_config_name`.
    static func routeNames(_ listeners: [Envoy_Config_Listener_V3_Listener]) -> Set<String> {
        var names = Set<String>()
        for listener in listeners {
            for chain in listener.filterChains + [listener.defaultFilterChain] {
                for filter in chain.filters where filter.typedConfig.typeURL.hasSuffix(".HttpConnectionManager") {
                    guard
                        let manager =
                            try? Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
                                serializedBytes: filter.typedConfig.value)
                    else { continue }
                    if !manager.rds.routeConfigName.isEmpty { names.insert(manager.rds.routeConfigName) }
                }
            }
        }
        return names
    }

    /// Resource name -> the lines of its pretty, key-sorted Envoy JSON.
    private static func prettyJSON(_ messages: [(String, any SwiftProtobuf.Message)]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (name, message) in messages {
            guard let compact = try? message.jsonString(),
                let object = try? JSONSerialization.jsonObject(with: Data(compact.utf8)),
                let pretty = try? JSONSerialization.data(
                    withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            else { continue }
            result[name] = String(decoding: pretty, as: UTF8.self).split(
                separator: "\n", omittingEmptySubsequences: false
            ).map(String.init)
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
                        file: object.source.file, document: object.source.document, line: object.source.line,
                        object: object.key,
                        fieldPath: "", reason: "duplicate \(object.key): already declared at \(earlier.description)",
                        severity: .error))
            } else {
                first[object.key] = object.source
            }
        }
        return problems
    }
}
