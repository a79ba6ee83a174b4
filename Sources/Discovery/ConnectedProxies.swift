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
    private let admissionListeners = Mutex<[@Sendable (String) -> Void]>([])

    public init() {}

    func admitted(_ proxy: Proxy, remotePeer: String) {
        state.withLock { $0.admitted[proxy.id] = (proxy, remotePeer) }
        for listener in admissionListeners.withLock({ $0 }) { listener(remotePeer) }
    }

    /// Calls `listener` with the remote peer (gRPC's `ipv4:host:port`) of every proxy admitted from now on: the
    /// connection gate counts that connection as authenticated.
    public func onAdmission(_ listener: @escaping @Sendable (String) -> Void) {
        admissionListeners.withLock { $0.append(listener) }
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

    /// The newest live connection of the proxy named `id`: its full node id (`sidecar~10.0.0.1~pod.ns~ns.svc...`) or,
    /// as istiod and istioctl name proxies (and `meshd proxy-status` prints them), `<pod>.<namespace>`.
    public func proxy(id: String) -> Proxy? {
        state.withLock { state in
            let exact = state.live.values.filter { $0.proxy.id == id }
            let matches = exact.isEmpty ? state.live.values.filter { "\($0.proxy.podName).\($0.proxy.namespace)" == id } : exact
            return matches.max { $0.connection < $1.connection }?.proxy
        }
    }
}
