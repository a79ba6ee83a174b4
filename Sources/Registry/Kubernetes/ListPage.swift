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
        // A list without `items` is not an empty list: the server always sends the array, so a body without it is
        // broken, and taking it as empty would delete every object of the kind.
        // (Go writes an empty list's nil slice as `null`, which is an empty list.)
        let items: [Any]
        if let array = list["items"] as? [Any] {
            items = array
        } else if list["items"] is NSNull {
            items = []
        } else {
            throw KubernetesError.malformed("\(kind): list response without items")
        }
        self.items = try items.map { try KubernetesObject(json: $0, kind: kind) }
        self.resourceVersion = version
        let token = metadata["continue"] as? String
        self.continueToken = (token?.isEmpty ?? true) ? nil : token
    }
}
