import Synchronization

/// The sync state of every connected proxy, for admin endpoints. Thread-safe; streams write, readers copy.
public final class SyncStatusStore: Sendable {
    private let entries = Mutex<[UInt64: ProxySyncStatus]>([:])

    public init() {}

    /// Every connected proxy, sorted by proxy name.
    public func all() -> [ProxySyncStatus] {
        entries.withLock { Array($0.values) }.sorted { ($0.proxy, $0.connectionID) < ($1.proxy, $1.connectionID) }
    }

    func update(_ status: ProxySyncStatus) {
        entries.withLock { $0[status.connectionID] = status }
    }

    func remove(_ connectionID: UInt64) {
        _ = entries.withLock { $0.removeValue(forKey: connectionID) }
    }
}
