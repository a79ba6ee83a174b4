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

/// The live streams that can be told to push. Thread-safe.
final class ConnectionRegistry: Sendable {
    /// One stream: its pending-push slot, and how it narrows or widens a push for its proxy.
    struct Entry: Sendable {
        let slot: PushSlot
        let scope: @Sendable (PushRequest) -> PushRequest
    }

    private let streams = Mutex<[UInt64: Entry]>([:])
    /// Every running stream, admitted or not, by how to end it.
    private let closers = Mutex<[UInt64: @Sendable () -> Void]>([:])
    private let draining = Atomic<Bool>(false)
    private let nextID = Atomic<UInt64>(1)

    func makeID() -> UInt64 { nextID.add(1, ordering: .relaxed).oldValue }

    func register(_ id: UInt64, _ entry: Entry) {
        streams.withLock { $0[id] = entry }
    }

    func unregister(_ id: UInt64) {
        _ = streams.withLock { $0.removeValue(forKey: id) }
    }

    /// Offers `request` to every stream. Never waits: each stream's slot keeps only the merged latest push,
    /// and a stream that is slow or stuck delays nobody else.
    func push(_ request: PushRequest) {
        let all = streams.withLock { Array($0.values) }
        for entry in all { entry.slot.offer(entry.scope(request)) }
    }

    var count: Int { streams.withLock { $0.count } }

    /// Records how to end a running stream; a stream that starts while draining is ended at once.
    func started(_ id: UInt64, close: @escaping @Sendable () -> Void) {
        closers.withLock { $0[id] = close }
        if draining.load(ordering: .acquiring) { close() }
    }

    func ended(_ id: UInt64) {
        _ = closers.withLock { $0.removeValue(forKey: id) }
    }

    /// Ends every running stream, and every stream that starts from now on.
    func drain() {
        draining.store(true, ordering: .releasing)
        for close in closers.withLock({ Array($0.values) }) { close() }
    }

    var isDraining: Bool { draining.load(ordering: .acquiring) }
}
