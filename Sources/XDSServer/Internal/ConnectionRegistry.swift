import Synchronization

/// Events that wake a stream's loop.
enum StreamEvent: Sendable {
    case request(RequestBox)
    case push
}

/// Wraps a request so the event enum stays small.
final class RequestBox: Sendable {
    let value: RequestValue
    init(_ value: RequestValue) { self.value = value }
}

/// The live streams that can be told to push. Thread-safe.
final class ConnectionRegistry: Sendable {
    private let streams = Mutex<[UInt64: AsyncStream<StreamEvent>.Continuation]>([:])
    private let nextID = Atomic<UInt64>(1)

    func makeID() -> UInt64 { nextID.add(1, ordering: .relaxed).oldValue }

    func register(_ id: UInt64, _ continuation: AsyncStream<StreamEvent>.Continuation) {
        streams.withLock { $0[id] = continuation }
    }

    func unregister(_ id: UInt64) {
        _ = streams.withLock { $0.removeValue(forKey: id) }
    }

    /// Wakes every stream; each compares content hashes and sends only what changed.
    func pushAll() {
        let all = streams.withLock { Array($0.values) }
        for continuation in all { continuation.yield(.push) }
    }

    var count: Int { streams.withLock { $0.count } }
}
