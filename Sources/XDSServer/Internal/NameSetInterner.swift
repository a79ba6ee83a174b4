import Synchronization

/// Subscription name sets shared across streams. Every sidecar of one view asks EDS for the same thousands of
/// cluster names; each stream decoding its own `Set` would keep a copy per proxy (over 100 KB each at 5,000
/// names). Streams hand their set in with the digest of the request it came from and get back an equal set that
/// other streams already hold (copy-on-write storage, so shared until one of them changes it). Holds at most
/// `capacity` sets. Thread-safe.
final class NameSetInterner: Sendable {
    private let table = Mutex<[Int: Set<String>]>([:])
    private let capacity: Int

    init(capacity: Int = 1_024) {
        self.capacity = max(1, capacity)
    }

    /// An equal set from the table, or `names` itself (then remembered) when the table has none.
    func intern(_ names: Set<String>, digest: Int) -> Set<String> {
        if let known = table.withLock({ $0[digest] }), known == names { return known }
        table.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[digest] = names
        }
        return names
    }
}
