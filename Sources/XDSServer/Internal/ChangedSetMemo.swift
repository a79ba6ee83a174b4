import Synchronization

/// What differs between what a proxy holds and the current set, remembered across streams.
///
/// Every stream of one view holds the same set and is pushed the same new one, so the difference (a walk over
/// thousands of resources) is worked out once per pair of contents instead of once per stream. Keyed by the
/// SotW versions of both sets, which are hashes of their content (names and resource versions), plus whatever
/// else the difference depends on. Holds only the differences, and at most `capacity` of them. Thread-safe.
final class DifferenceMemo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    private let capacity: Int

    init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
    }

    /// The remembered difference for `key`, or `compute()`'s (remembered unless nil).
    func changed(_ key: Key, compute: () -> Value?) -> Value? {
        if let known = entries.withLock({ $0[key] }) { return known }
        guard let result = compute() else { return nil }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = result
        }
        return result
    }

    var count: Int { entries.withLock { $0.count } }
}

/// SotW: the EDS or RDS resources that changed between two sets.
typealias ChangedSetMemo = DifferenceMemo<ChangedSetKey, [XDSResource]>

struct ChangedSetKey: Hashable, Sendable {
    var type: XDSType
    /// The version of the set the proxy holds.
    var held: String
    /// The version of the set about to be sent.
    var current: String
}

/// Delta: the response that takes a proxy holding exactly one set to another. It depends on the subscription only
/// through `wildcard`: a named subscription that held exactly a set names exactly that set.
typealias DeltaDiffMemo = DifferenceMemo<DeltaDiffKey, DeltaDiff>

struct DeltaDiffKey: Hashable, Sendable {
    var type: XDSType
    var wildcard: Bool
    var held: String
    var current: String
}
