import Synchronization

/// A broadcast that every simulated proxy waits on: when the controller advances the round, every proxy drops
/// its connection at once (and reconnects for the next round, or stops after the last). Thread-safe.
final class RoundSignal: Sendable {
    private struct State {
        var round = 0
        var finished = false
        var waiters: [Int: (round: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    var round: Int { state.withLock { $0.round } }
    var finished: Bool { state.withLock { $0.finished } }

    /// Ends the current round; with `finish`, no new round starts.
    func advance(finish: Bool = false) {
        let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.round += 1
            state.finished = state.finished || finish
            let all = state.waiters.values.map(\.continuation)
            state.waiters.removeAll()
            return all
        }
        for continuation in resumed { continuation.resume() }
    }

    /// Returns once `round` has ended, or when the calling task is cancelled.
    func waitForEnd(of round: Int) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.round > round || Task.isCancelled { return true }
                    state.waiters[id] = (round, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }
}
