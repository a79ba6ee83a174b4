/// What one informer knows of its kind: the objects in force and the resourceVersion to resume from.
///
/// A pure state machine: `replace` (after a LIST) and `apply` (per watch event) return the change the store must
/// make. No I/O, so the list/watch rules can be tested event by event.
struct InformerState {
    /// What the store must do after a transition.
    struct Change: Sendable, Equatable {
        var upserted: [KubernetesObject] = []
        var deleted: [KubernetesObject] = []

        var isEmpty: Bool { upserted.isEmpty && deleted.isEmpty }
    }

    private(set) var objects: [String: KubernetesObject] = [:]
    /// Where a watch resumes; empty until the first LIST.
    private(set) var resourceVersion = ""

    /// Replaces everything with a complete LIST. Objects missing from it were deleted while meshd was not watching
    /// (the 410 gap); objects whose content is unchanged are not re-applied.
    mutating func replace(with items: [KubernetesObject], resourceVersion: String) -> Change {
        var next: [String: KubernetesObject] = [:]
        var change = Change()
        for item in items {
            next[item.key] = item
            if objects[item.key]?.json != item.json { change.upserted.append(item) }
        }
        change.deleted = objects.values.filter { next[$0.key] == nil }.sorted { $0.key < $1.key }
        objects = next
        self.resourceVersion = resourceVersion
        return change
    }

    /// Applies one watch event. A BOOKMARK only moves the resourceVersion. An `ERROR` event is thrown as the
    /// `KubernetesError` its code means (410 → `.gone`, which makes the informer relist).
    mutating func apply(_ event: WatchEvent) throws -> Change {
        switch event {
        case .added(let object), .modified(let object):
            resourceVersion = object.resourceVersion
            guard objects[object.key]?.json != object.json else {
                objects[object.key] = object
                return Change()
            }
            objects[object.key] = object
            return Change(upserted: [object])
        case .deleted(let object):
            resourceVersion = object.resourceVersion
            guard objects.removeValue(forKey: object.key) != nil else { return Change() }
            return Change(deleted: [object])
        case .bookmark(let version):
            resourceVersion = version
            return Change()
        case .error(let code, let message):
            throw KubernetesError.from(code: code, message: message)
        }
    }
}
