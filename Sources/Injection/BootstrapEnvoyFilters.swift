import Foundation
public import MeshModel

/// EnvoyFilter `applyTo: BOOTSTRAP` patches for `meshd bootstrap` and `meshd inject` (`--envoy-filters FILE|DIR`):
/// the EnvoyFilters that select the proxy (by namespace and labels, as for xDS) merge their BOOTSTRAP values into the
/// bootstrap document, in istiod's order. Only MERGE changes a bootstrap (as in istiod).
///
/// The bootstrap is JSON with Envoy's field names in snake_case, as Envoy reads it: values are merged as JSON
/// (objects field by field, lists appended, anything else replaced), which is protobuf's merge for these documents
/// as long as the patch uses the same snake_case names.
public struct BootstrapEnvoyFilters: Sendable {
    public let snapshot: MeshSnapshot

    public init(snapshot: MeshSnapshot) {
        self.snapshot = snapshot
    }

    /// `document` with the BOOTSTRAP patches for a proxy in `namespace` with `labels` merged in.
    public func apply(to document: [String: Any], namespace: String, labels: [String: String]) -> [String: Any] {
        var result = document
        for filter in snapshot.envoyFilters(namespace: namespace, labels: labels) {
            for patch in filter.configPatches
            where patch.applyTo == .bootstrap && patch.operation == .merge && patch.match.context != .waypoint {
                guard let json = patch.value?.json,
                    let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
                else { continue }
                result = Self.merge(object, into: result)
            }
        }
        return result
    }

    static func merge(_ patch: [String: Any], into target: [String: Any]) -> [String: Any] {
        var merged = target
        for (key, value) in patch {
            switch (merged[key], value) {
            case (let existing as [String: Any], let object as [String: Any]):
                merged[key] = merge(object, into: existing)
            case (let existing as [Any], let list as [Any]):
                merged[key] = existing + list
            default:
                merged[key] = value
            }
        }
        return merged
    }
}
