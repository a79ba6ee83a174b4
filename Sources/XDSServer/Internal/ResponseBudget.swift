import Synchronization

/// Bounds the bytes of responses written but not yet answered, across every stream (`--push-buffer-mb`).
///
/// A response's bytes stay in meshd (in the transport's buffers, waiting on the proxy's HTTP/2 window) until the
/// proxy reads them, and a proxy answers every response with an ACK or a NACK once it has read and applied it.
/// Counting bytes from the write to the answer therefore bounds what every stream together holds when all
/// proxies connect or reconnect at once; `PushLimiter` alone bounds only generation, not the bytes behind it.
///
/// A stream that holds nothing waits (first come, first served) for room before it writes; a stream that already
/// holds bytes is let through at once, so it can finish a sync the proxy is waiting on (Envoy may hold a CDS ACK
/// until it has the endpoints) and no set of streams can wait on each other. One response larger than the whole
/// budget is let through when nothing else is held. Thread-safe.
final class ResponseBudget: Sendable {
    private struct Waiter {
        var id: UInt64
        var bytes: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var held = 0
        var peak = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Bytes currently held by all streams, and the most ever held at once.
    var usage: (held: Int, peak: Int) { state.withLock { ($0.held, $0.peak) } }

    /// Waits until `bytes` fit (or nothing is held), then takes them. Returns at once if the task is cancelled.
    func acquire(_ bytes: Int) async {
        let id = state.withLock { state -> UInt64? in
            if state.waiters.isEmpty, fits(bytes, state) {
                take(bytes, &state)
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resume = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    if state.waiters.isEmpty, fits(bytes, state) {
                        take(bytes, &state)
                        return true
                    }
                    state.waiters.append(Waiter(id: id, bytes: bytes, continuation: continuation))
                    return false
                }
                if resume { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume()
        }
    }

    /// Takes `bytes` without waiting: for a stream that already holds some.
    func acquireNow(_ bytes: Int) {
        state.withLock { take(bytes, &$0) }
    }

    /// Gives back `bytes` and lets waiting streams in, in arrival order, while they fit.
    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.held = max(0, state.held - bytes)
            var ready: [CheckedContinuation<Void, Never>] = []
            var admitted = 0
            while admitted < state.waiters.count, fits(state.waiters[admitted].bytes, state) {
                take(state.waiters[admitted].bytes, &state)
                ready.append(state.waiters[admitted].continuation)
                admitted += 1
            }
            state.waiters.removeFirst(admitted)
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    private func fits(_ bytes: Int, _ state: State) -> Bool { state.held == 0 || state.held + bytes <= limit }

    private func take(_ bytes: Int, _ state: inout State) {
        state.held += bytes
        state.peak = max(state.peak, state.held)
    }
}

/// One stream's share of the `ResponseBudget`: the bytes it holds and the responses not yet answered. Owned by
/// the stream's task.
struct BudgetLedger {
    private(set) var held = 0
    /// Nonce → type of each response written and not yet answered.
    private var unanswered: [String: XDSType] = [:]

    /// Takes room for a response of `bytes` before it is written.
    mutating func reserve(_ bytes: Int, from budget: ResponseBudget) async {
        if held == 0 { await budget.acquire(bytes) } else { budget.acquireNow(bytes) }
        held += bytes
    }

    /// Records a written response. `supersedes`: the type's earlier unanswered response no longer needs an answer
    /// (SotW: the proxy answers only the latest it applies).
    mutating func written(nonce: String, type: XDSType, supersedes: Bool) {
        if supersedes, let earlier = unanswered.first(where: { $0.value == type })?.key { unanswered[earlier] = nil }
        unanswered[nonce] = type
        // A proxy that leaves responses unanswered must not pin its bytes for ever: past a bound, the oldest count as answered.
        if unanswered.count > 64 { unanswered.removeAll() }
    }

    /// Records the proxy's answer to `nonce`; when nothing is left unanswered, gives every byte back.
    mutating func answered(nonce: String, budget: ResponseBudget) {
        guard !nonce.isEmpty else { return }
        unanswered[nonce] = nil
        if unanswered.isEmpty { releaseAll(to: budget) }
    }

    /// Gives every byte back (the stream ended).
    mutating func releaseAll(to budget: ResponseBudget) {
        budget.release(held)
        held = 0
        unanswered.removeAll()
    }
}
