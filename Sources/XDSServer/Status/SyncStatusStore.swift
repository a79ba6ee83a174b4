/// The sync state of every connected proxy, for admin endpoints: a view of the server's `ConnectionRegistry`
/// (the one record of who is connected), listing each connection once it has answered its first request.
/// Thread-safe; readers get copies.
public final class SyncStatusStore: Sendable {
    private let read: @Sendable () -> [ProxySyncStatus]

    init<Client>(registry: ConnectionRegistry<Client>) {
        read = { registry.all().filter(\.published).map(\.syncStatus) }
    }

    /// Every connected proxy, sorted by proxy name.
    public func all() -> [ProxySyncStatus] {
        read().sorted { ($0.proxy, $0.connectionID) < ($1.proxy, $1.connectionID) }
    }
}
