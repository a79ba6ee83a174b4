import Foundation

/// One page of a LIST response: its items, the collection's resourceVersion and the token for the next page.
struct ListPage: Sendable {
    var items: [KubernetesObject]
    var resourceVersion: String
    /// Empty or nil on the last page.
    var continueToken: String?

    /// Parses a `<Kind>List` body. Throws `KubernetesError.malformed` when it is not one; never traps.
    init(data: Data, kind: KubernetesKind) throws {
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw KubernetesError.malformed("\(kind): list response is not a JSON object")
        }
        let metadata = list["metadata"] as? [String: Any] ?? [:]
        guard let version = metadata["resourceVersion"] as? String else {
            throw KubernetesError.malformed("\(kind): list without metadata.resourceVersion")
        }
        let items = list["items"] as? [Any] ?? []
        self.items = try items.map { try KubernetesObject(json: $0, kind: kind) }
        self.resourceVersion = version
        let token = metadata["continue"] as? String
        self.continueToken = (token?.isEmpty ?? true) ? nil : token
    }
}
