import Synchronization
public import XDSServer

/// Follows every accepted change to every proxy: which proxies it affected, when each was sent it, and
/// whether each accepted or rejected it. Keeps the newest `capacity` changes. Thread-safe.
///
/// A response carries the generation of the snapshot it was made from; snapshots are cumulative, so a
/// response of generation G carries every change up to G. An ACK of G therefore settles every pending
/// change ≤ G on that proxy, and a NACK of G marks them rejected.
public final class ChangeTracker: XDSEventObserver, Sendable {
    private struct State {
        var changes: [TrackedChange] = []
        var connected: [UInt64: String] = [:]
    }

    private let state = Mutex(State())
    public let capacity: Int
    private let onConverged: @Sendable (Duration) -> Void

    /// - Parameter onConverged: called with publish-to-ACK time for every (change, proxy) that converges.
    public init(capacity: Int = 100, onConverged: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.capacity = max(1, capacity)
        self.onConverged = onConverged
    }

    /// Records a newly published change; the proxies connected now are the ones it is tracked on.
    public func published(_ change: ConfigChange) {
        state.withLock { state in
            state.changes.append(
                TrackedChange(change: change, publishedAt: .now, candidates: state.connected, proxies: [:]))
            if state.changes.count > capacity { state.changes.removeFirst(state.changes.count - capacity) }
        }
    }

    /// The tracked changes, newest first.
    public func changes() -> [TrackedChange] { state.withLock { Array($0.changes.reversed()) } }

    /// The change with `id`, if still in the ring.
    public func change(id: UInt64) -> TrackedChange? { state.withLock { $0.changes.first { $0.change.id == id } } }

    public func observe(_ event: XDSEvent) {
        var convergence: [Duration] = []
        state.withLock { state in
            switch event {
            case .connected(let proxy, let connection):
                state.connected[connection] = proxy
            case .disconnected(_, let connection):
                state.connected[connection] = nil
                Self.update(&state.changes, connection: connection, upTo: .max) { current in
                    switch current {
                    case .none, .pending?: .disconnected
                    default: current
                    }
                }
            case .sent(_, let connection, let type, let response, _, _, _):
                Self.update(&state.changes, connection: connection, upTo: response.generation) { current in
                    switch current {
                    case .none, .unaffected?: return .pending(sentAt: response.at, types: [type])
                    case .pending(let sentAt, let types)?: return .pending(sentAt: sentAt, types: types.union([type]))
                    default: return current
                    }
                }
            case .pushEvaluated(_, let connection, let generation, let sent) where sent.isEmpty:
                Self.update(&state.changes, connection: connection, upTo: generation) { $0 ?? .unaffected }
            case .pushEvaluated, .refused:
                break
            case .acknowledged(_, let connection, let type, let response):
                let now = ContinuousClock.now
                for index in state.changes.indices where state.changes[index].change.id <= response.generation {
                    guard state.changes[index].candidates[connection] != nil,
                        case .pending(let sentAt, var types)? = state.changes[index].proxies[connection]
                    else { continue }
                    types.remove(type)
                    if types.isEmpty {
                        state.changes[index].proxies[connection] = .acknowledged(sentAt: sentAt, at: now)
                        convergence.append(now - state.changes[index].publishedAt)
                    } else {
                        state.changes[index].proxies[connection] = .pending(sentAt: sentAt, types: types)
                    }
                }
            case .rejected(_, let connection, let type, let nack, let generation):
                Self.update(&state.changes, connection: connection, upTo: generation) { current in
                    if case .pending? = current { return .rejected(type: type, nack: nack) }
                    return current
                }
            }
        }
        for duration in convergence { onConverged(duration) }
    }

    /// Applies `transform` to the proxy's state in every tracked change ≤ `generation` it is a candidate of.
    private static func update(
        _ changes: inout [TrackedChange], connection: UInt64, upTo generation: UInt64,
        _ transform: (ProxyChangeState?) -> ProxyChangeState?
    ) {
        for index in changes.indices
        where changes[index].change.id <= generation && changes[index].candidates[connection] != nil {
            changes[index].proxies[connection] = transform(changes[index].proxies[connection])
        }
    }
}
