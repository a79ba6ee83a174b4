public import EtcdClient

/// What the etcd source knows of its prefix: every key's last value and the revision up to which it has seen all
/// changes.
///
/// A pure state machine: `replace` (after a listing) and `apply` (per watch message) return the change the store must
/// make. No I/O, so the list/watch rules can be tested message by message.
public struct EtcdWatchState: Sendable {
    /// What the store must do after a transition: the keys written (their newest values) and the keys deleted.
    public struct Change: Sendable, Equatable {
        public var upserted: [EtcdKeyValue] = []
        public var deleted: [String] = []

        public var isEmpty: Bool { upserted.isEmpty && deleted.isEmpty }
    }

    public private(set) var values: [String: EtcdKeyValue] = [:]
    /// Every change up to this revision has been applied; a watch resumes at `revision + 1`. 0 before the first
    /// listing.
    public private(set) var revision: Int64 = 0

    public init() {}

    /// Replaces everything with a complete listing. Keys missing from it were deleted while the source was not
    /// watching (a compaction gap); keys whose value is unchanged are not re-applied.
    public mutating func replace(with listing: EtcdListing) -> Change {
        var next: [String: EtcdKeyValue] = [:]
        var change = Change()
        for keyValue in listing.keyValues {
            next[keyValue.key] = keyValue
            if values[keyValue.key]?.value != keyValue.value { change.upserted.append(keyValue) }
        }
        change.deleted = values.keys.filter { next[$0] == nil }.sorted()
        values = next
        revision = listing.revision
        return change
    }

    /// Applies one watch message. Events at or below `revision` were already applied (a resumed watch may repeat
    /// them) and are skipped; a key written several times in one message counts once, with its last value.
    public mutating func apply(_ message: EtcdWatchMessage) -> Change {
        switch message {
        case .created:
            // The header of a created watch is the store's revision, not how far this watch has delivered.
            return Change()
        case .progress(let seen):
            revision = max(revision, seen)
            return Change()
        case .events(let events, _):
            var last: [String: EtcdEvent] = [:]
            var order: [String] = []
            var highest = revision
            for event in events where event.keyValue.modRevision > revision {
                if last[event.keyValue.key] == nil { order.append(event.keyValue.key) }
                last[event.keyValue.key] = event
                highest = max(highest, event.keyValue.modRevision)
            }
            revision = highest
            var change = Change()
            for key in order {
                guard let event = last[key] else { continue }
                switch event.kind {
                case .put:
                    if values[key]?.value != event.keyValue.value { change.upserted.append(event.keyValue) }
                    values[key] = event.keyValue
                case .delete:
                    if values.removeValue(forKey: key) != nil { change.deleted.append(key) }
                }
            }
            return change
        }
    }
}
