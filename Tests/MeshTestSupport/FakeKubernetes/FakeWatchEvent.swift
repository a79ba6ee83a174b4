/// One entry of the fake's event log: what happened to which object at which resourceVersion.
struct FakeWatchEvent: Sendable {
    var resourceVersion: Int
    var resource: FakeResource
    /// `ADDED`, `MODIFIED` or `DELETED`.
    var type: String
    /// The object's JSON as it was after the change (for `DELETED`, as it was when deleted).
    var object: String
    var namespace: String

    /// The newline-terminated line a watch stream carries.
    var line: String { "{\"type\":\"\(type)\",\"object\":\(object)}\n" }
}
