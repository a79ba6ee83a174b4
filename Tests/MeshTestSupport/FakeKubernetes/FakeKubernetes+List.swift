import Foundation
import Hummingbird

extension FakeKubernetes {
    /// LIST: objects sorted by namespace and name, `limit`/`continue` paging from a snapshot taken at the first page
    /// (an expired token is `410 Gone`), `metadata.resourceVersion` of the collection. `labelSelector` supports
    /// `key=value` terms joined by commas.
    func list(
        _ resource: FakeResource, namespace: String?, limit: Int?, continueToken: String?, fieldSelector: String?,
        labelSelector: String? = nil
    ) -> Response {
        let outcome = state.withLock { state -> (items: [String], version: Int, next: String?)? in
            var items: [String]
            var version: Int
            if let continueToken {
                state.continuedListCalls[resource.collectionPath, default: 0] += 1
                guard let continuation = state.continuations.removeValue(forKey: continueToken) else { return nil }
                items = continuation.remaining
                version = continuation.resourceVersion
            } else {
                version = state.resourceVersion
                items = (state.objects[resource] ?? [:]).sorted { $0.key < $1.key }
                    .filter { namespace == nil || $0.key.hasPrefix("\(namespace ?? "")/") }
                    .map(\.value)
                    .filter { FakeClusterState.matches($0, fieldSelector: fieldSelector) }
                    .filter { Self.matches($0, labelSelector: labelSelector) }
            }
            var next: String?
            if let limit, limit > 0, items.count > limit {
                let token = UUID().uuidString
                state.continuations[token] = .init(resourceVersion: version, remaining: Array(items[limit...]))
                items = Array(items[..<limit])
                next = token
            }
            return (items, version, next)
        }
        guard let outcome else {
            return Self.status(
                410, reason: "Expired",
                "The provided continue parameter is too old to display a consistent list result. "
                    + "You can start a new list without the continue parameter.")
        }
        let items = outcome.items.map { text -> String in
            guard !resource.isCustom, var object = Self.parse(text) else { return text }
            object["apiVersion"] = nil
            object["kind"] = nil
            return Self.serialize(object)
        }
        var metadata = "\"resourceVersion\":\"\(outcome.version)\""
        if let next = outcome.next { metadata += ",\"continue\":\"\(next)\"" }
        let body =
            "{\"apiVersion\":\"\(resource.apiVersion)\",\"kind\":\"\(resource.kind)List\",\"metadata\":{\(metadata)},"
            + "\"items\":[\(items.joined(separator: ","))]}"
        return Self.json(body)
    }
}

extension FakeKubernetes {
    /// Whether an object's `metadata.labels` hold every `key=value` term of `labelSelector`.
    static func matches(_ json: String, labelSelector: String?) -> Bool {
        guard let labelSelector, !labelSelector.isEmpty else { return true }
        let labels = (parse(json)?["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
        return labelSelector.split(separator: ",").allSatisfy { term in
            let parts = term.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 && labels[parts[0]] == parts[1]
        }
    }
}
