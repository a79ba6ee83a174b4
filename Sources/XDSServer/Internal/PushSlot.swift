import Synchronization

/// One connection's pending push: at most one, the latest merged into it. Thread-safe.
///
/// `offer` wakes the stream only when the slot goes from empty to full, so a stream that is busy (or stuck
/// writing) accumulates nothing but this one value, however many pushes arrive.
final class PushSlot: Sendable {
    private let pending = Mutex<PushRequest?>(nil)
    private let wake: @Sendable () -> Void

    init(wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }

    /// Merges `request` into the pending push; wakes the stream if none was pending.
    func offer(_ request: PushRequest) {
        let wasEmpty = pending.withLock { pending in
            defer { pending = pending.map { $0.merged(with: request) } ?? request }
            return pending == nil
        }
        if wasEmpty { wake() }
    }

    /// Takes the pending push, leaving the slot empty.
    func take() -> PushRequest? {
        pending.withLock { pending in
            defer { pending = nil }
            return pending
        }
    }
}
