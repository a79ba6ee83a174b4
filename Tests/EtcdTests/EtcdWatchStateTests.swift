import EtcdClient
import Registry
import Testing

/// The list/watch rules of the etcd source, message by message, with no etcd.
@Suite struct EtcdWatchStateTests {
    func kv(_ key: String, _ value: String, _ revision: Int64) -> EtcdKeyValue {
        EtcdKeyValue(key: key, value: Array(value.utf8), modRevision: revision)
    }

    @Test("a listing upserts what is new or changed, deletes what is gone, and sets the revision")
    func listingReplaces() {
        var state = EtcdWatchState()
        let first = state.replace(with: EtcdListing(keyValues: [kv("/p/a", "1", 2), kv("/p/b", "1", 3)], revision: 5))
        #expect(first.upserted.map(\.key) == ["/p/a", "/p/b"])
        #expect(first.deleted.isEmpty)
        #expect(state.revision == 5)
        // After a compaction gap: a changed, b unchanged, c new, and a key that was deleted in the gap.
        _ = state.apply(.events([EtcdEvent(kind: .put, keyValue: kv("/p/d", "1", 6))], headerRevision: 6))
        let second = state.replace(
            with: EtcdListing(keyValues: [kv("/p/a", "2", 9), kv("/p/b", "1", 3), kv("/p/c", "1", 8)], revision: 10))
        #expect(second.upserted.map(\.key) == ["/p/a", "/p/c"])
        #expect(second.deleted == ["/p/d"])
        #expect(state.revision == 10)
    }

    @Test("events advance the revision; repeated or older events are skipped; a key counts once per message")
    func eventsAdvance() {
        var state = EtcdWatchState()
        _ = state.replace(with: EtcdListing(keyValues: [kv("/p/a", "1", 2)], revision: 4))
        let change = state.apply(
            .events(
                [
                    EtcdEvent(kind: .put, keyValue: kv("/p/a", "old", 3)),  // at or below 4: already applied
                    EtcdEvent(kind: .put, keyValue: kv("/p/b", "1", 5)),
                    EtcdEvent(kind: .put, keyValue: kv("/p/b", "2", 6)),
                    EtcdEvent(kind: .delete, keyValue: kv("/p/a", "", 7)),
                ], headerRevision: 7))
        #expect(change.upserted.map { String(decoding: $0.value, as: UTF8.self) } == ["2"])
        #expect(change.deleted == ["/p/a"])
        #expect(state.revision == 7)
        // The same message again (a resumed watch that repeats it) changes nothing.
        let again = state.apply(.events([EtcdEvent(kind: .put, keyValue: kv("/p/b", "2", 6))], headerRevision: 7))
        #expect(again.isEmpty)
    }

    @Test("a progress notification moves the revision; a created watch does not")
    func progressAndCreated() {
        var state = EtcdWatchState()
        _ = state.replace(with: EtcdListing(keyValues: [], revision: 4))
        _ = state.apply(.created(headerRevision: 40))
        #expect(state.revision == 4, "a created watch's header is the store's revision, not what was delivered")
        _ = state.apply(.progress(revision: 12))
        #expect(state.revision == 12)
        _ = state.apply(.progress(revision: 3))
        #expect(state.revision == 12)
    }

    @Test("deleting a key that was never seen is no change")
    func unknownDelete() {
        var state = EtcdWatchState()
        let change = state.apply(.events([EtcdEvent(kind: .delete, keyValue: kv("/p/x", "", 2))], headerRevision: 2))
        #expect(change.isEmpty)
        #expect(state.revision == 2)
    }
}
