import Synchronization
public import MeshModel
public import XDSServer

/// The proxies connected right now, by connection, with their parsed identity. Fed by the provider on
/// admission and by xDS events on connect and disconnect. Thread-safe.
public final class ConnectedProxies: XDSEventObserver, Sendable {
    /// One live connection.
    public struct Entry: Sendable {
        public var connection: UInt64
        public var proxy: Proxy
        public var remotePeer: String
        public var connectedAt: ContinuousClock.Instant
    }

    private struct State {
        /// Admitted but not yet announced by a `connected` event, by node id.
        var admitted: [String: (Proxy, String)] = [:]
        var live: [UInt64: Entry] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    func admitted(_ proxy: Proxy, remotePeer: String) {
        state.withLock { $0.admitted[proxy.id] = (proxy, remotePeer) }
    }

    public func observe(_ event: XDSEvent) {
        switch event {
        case .connected(let proxyID, let connection):
            state.withLock { state in
                guard let (proxy, peer) = state.admitted.removeValue(forKey: proxyID) else { return }
                state.live[connection] = Entry(connection: connection, proxy: proxy, remotePeer: peer, connectedAt: .now)
            }
        case .disconnected(_, let connection):
            _ = state.withLock { $0.live.removeValue(forKey: connection) }
        default:
            break
        }
    }

    /// Every live connection, sorted by proxy id.
    public func all() -> [Entry] {
        state.withLock { Array($0.live.values) }.sorted { ($0.proxy.id, $0.connection) < ($1.proxy.id, $1.connection) }
    }

    /// The newest live connection of the proxy with node id `id`.
    public func proxy(id: String) -> Proxy? {
        state.withLock { $0.live.values.filter { $0.proxy.id == id }.max { $0.connection < $1.connection }?.proxy }
    }
}
