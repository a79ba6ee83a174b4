import Synchronization

/// Events that wake a stream's loop. Pushes carry nothing: the stream takes them from its `PushSlot`.
enum StreamEvent<Request: Sendable>: Sendable {
    case request(Box<Request>)
    case push
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
}
