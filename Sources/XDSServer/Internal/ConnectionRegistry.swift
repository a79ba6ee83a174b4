import Synchronization

/// Events that wake a stream's loop. Pushes carry nothing: the stream takes them from its `PushSlot`.
enum StreamEvent<Request: Sendable>: Sendable {
    case request(Box<Request>)
    case push
    /// The server is shutting down: end the stream so that the proxy reconnects elsewhere.
    case close
}

/// Wraps a value so the event enum stays small.
final class Box<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The one record of who is connected: every admitted stream with its proxy, and what it was last sent and
/// accepted of each type (`XDSConnection`), plus what the server needs to push to it or end it. The server writes
/// it; sync status (`SyncStatusStore`), the provider's views of connected proxies and the admin endpoints read it.
///
/// Thread-safe. Readers get copies: the resources in them are the shared, immutable `XDSResource` values the
/// streams hold, never copies of them. One server per registry.
public final class ConnectionRegistry<Client: Sendable>: Sendable {
    /// How the server reaches one admitted stream: its pending-push slot, and how it narrows or widens a push.
    struct Pusher: Sendable {
        let slot: PushSlot
        let scope: @Sendable (PushRequest) -> PushRequest
    }

    private struct State {
        var connections: [UInt64: XDSConnection<Client>] = [:]
        /// Kept apart from `connections` so that a push copies two references per stream, not its whole record.
        var pushers: [UInt64: Pusher] = [:]
        /// Every running stream, admitted or not, by how to end it.
        var closers: [UInt64: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())
    private let draining = Atomic<Bool>(false)
    private let nextID = Atomic<UInt64>(1)

    public init() {}

    // MARK: Reading

    /// Every admitted connection, sorted by proxy name, then connection id.
    public func all() -> [XDSConnection<Client>] {
        state.withLock { Array($0.connections.values) }.sorted { ($0.proxy, $0.id) < ($1.proxy, $1.id) }
    }

    /// The admitted connection `id`, if it is still open.
    public func connection(_ id: UInt64) -> XDSConnection<Client>? {
        state.withLock { $0.connections[id] }
    }

    /// The number of admitted connections.
    public var count: Int { state.withLock { $0.connections.count } }

    // MARK: Writing (the server's streams)

    func makeID() -> UInt64 { nextID.add(1, ordering: .relaxed).oldValue }

    /// Records an admitted stream, and how to push to it.
    func register(_ connection: XDSConnection<Client>, _ pusher: Pusher) {
        state.withLock {
            $0.connections[connection.id] = connection
            $0.pushers[connection.id] = pusher
        }
    }

    /// Records what a stream now knows of each type (`SotWTypeState` for both protocols, and a Delta stream's own
    /// state). Keeps the values the stream holds: their dictionaries and resource arrays are shared, not copied.
    func publish(_ id: UInt64, types: [XDSType: SotWTypeState], delta: [XDSType: DeltaTypeState] = [:]) {
        state.withLock { state in
            guard state.connections[id] != nil else { return }
            state.connections[id]?.types = types
            state.connections[id]?.delta = delta
            state.connections[id]?.published = true
        }
    }

    func unregister(_ id: UInt64) {
        state.withLock {
            $0.connections[id] = nil
            $0.pushers[id] = nil
        }
    }

    /// Offers `request` to every stream. Never waits: each stream's slot keeps only the merged latest push,
    /// and a stream that is slow or stuck delays nobody else.
    func push(_ request: PushRequest) {
        let all = state.withLock { Array($0.pushers.values) }
        for pusher in all { pusher.slot.offer(pusher.scope(request)) }
    }

    /// Records how to end a running stream; a stream that starts while draining is ended at once.
    func started(_ id: UInt64, close: @escaping @Sendable () -> Void) {
        state.withLock { $0.closers[id] = close }
        if draining.load(ordering: .acquiring) { close() }
    }

    func ended(_ id: UInt64) {
        _ = state.withLock { $0.closers.removeValue(forKey: id) }
    }

    /// Ends every running stream, and every stream that starts from now on.
    func drain() {
        draining.store(true, ordering: .releasing)
        for close in state.withLock({ Array($0.closers.values) }) { close() }
    }

    var isDraining: Bool { draining.load(ordering: .acquiring) }
}
