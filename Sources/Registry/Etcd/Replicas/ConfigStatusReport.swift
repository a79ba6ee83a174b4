import Foundation
public import MeshModel

/// The validation status of every config key in etcd, as the leader writes it under `<prefix>/_status/…` (istiod's
/// status writer with `PILOT_ENABLE_STATUS`, reduced to what meshd knows: whether the key's object is in force, and
/// the errors and warnings of its value). Pure: built from the store's objects and diagnostics.
///
/// The status of `<prefix>/<apiVersion>/<kind>/<namespace>/<name>` is stored at
/// `<prefix>/_status/<apiVersion>/<kind>/<namespace>/<name>`, as sorted-key JSON with no timestamp, so the same
/// status is the same bytes and an unchanged status is never written again.
public enum ConfigStatusReport {
    /// One key's status.
    public struct Status: Codable, Sendable, Hashable {
        /// The config key the status is about.
        public var key: String
        /// `Accepted` (the value is in force), `Refused` (it has errors; the last good version, if any, stays in
        /// force) or `Ignored` (another source declares the same object and wins).
        public var state: String
        /// The object the key holds now or last held, e.g. `VirtualService/default/reviews`.
        public var object: String?
        /// Whether a version of the key's object is serving.
        public var inForce: Bool
        public var errors: [Message]
        public var warnings: [Message]
    }

    /// One diagnostic: the field path and the reason, as `meshd validate` prints them.
    public struct Message: Codable, Sendable, Hashable {
        public var fieldPath: String
        public var reason: String

        public init(fieldPath: String, reason: String) {
            self.fieldPath = fieldPath
            self.reason = reason
        }
    }

    /// The status key of config key `key`, or nil for a key outside the layout.
    public static func statusKey(forConfigKey key: String, layout: EtcdKeyLayout) -> String? {
        guard key.hasPrefix(layout.watchedPrefix) else { return nil }
        return layout.reservedKey("status") + key.dropFirst(layout.prefix.count)
    }

    /// The prefix every status key starts with.
    public static func statusPrefix(_ layout: EtcdKeyLayout) -> String { layout.reservedKey("status") + "/" }

    /// Every etcd key's status, by status key: the keys the store holds objects or diagnostics for (`etcd:<key>`).
    public static func statuses(
        objects: [ConfigObject], diagnostics: [ConfigDiagnostic], layout: EtcdKeyLayout
    ) -> [String: Status] {
        let filePrefix = EtcdObjectDecoder.fileName(forKey: "")
        let byKey = statuses(objects: objects, diagnostics: diagnostics) { file -> String? in
            guard file.hasPrefix(filePrefix) else { return nil }
            let key = String(file.dropFirst(filePrefix.count))
            guard case .object = layout.entry(forKey: key) else { return nil }
            return key
        }
        var statuses: [String: Status] = [:]
        for (key, status) in byKey {
            if let statusKey = statusKey(forConfigKey: key, layout: layout) { statuses[statusKey] = status }
        }
        return statuses
    }

    /// The status of every store file that `configKey` maps to a key of one source (nil: another source's file),
    /// by that key. Shared by the etcd and the Kubernetes status duties.
    public static func statuses(
        objects: [ConfigObject], diagnostics: [ConfigDiagnostic], configKey: (String) -> String?
    ) -> [String: Status] {
        var byKey: [String: Status] = [:]
        func entry(_ file: String) -> String? {
            guard let key = configKey(file) else { return nil }
            if byKey[key] == nil {
                byKey[key] = Status(key: key, state: "Accepted", object: nil, inForce: false, errors: [], warnings: [])
            }
            return key
        }
        for object in objects {
            guard let key = entry(object.source.file) else { continue }
            byKey[key]?.inForce = true
            byKey[key]?.object = object.key.description
        }
        for diagnostic in diagnostics {
            guard let key = entry(diagnostic.file) else { continue }
            let message = Message(fieldPath: diagnostic.fieldPath, reason: diagnostic.reason)
            switch diagnostic.severity {
            case .error:
                byKey[key]?.errors.append(message)
                if byKey[key]?.object == nil, let object = diagnostic.object { byKey[key]?.object = object.description }
            case .warning:
                byKey[key]?.warnings.append(message)
            }
        }
        for (key, var status) in byKey {
            if !status.errors.isEmpty {
                let duplicate = status.errors.allSatisfy { $0.reason.contains("is also declared in") }
                status.state = duplicate && !status.inForce ? "Ignored" : "Refused"
            }
            status.errors.sort { ($0.fieldPath, $0.reason) < ($1.fieldPath, $1.reason) }
            status.warnings.sort { ($0.fieldPath, $0.reason) < ($1.fieldPath, $1.reason) }
            byKey[key] = status
        }
        return byKey
    }

    /// The stored bytes of a status.
    public static func encode(_ status: Status) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(status)).map(Array.init) ?? []
    }
}
