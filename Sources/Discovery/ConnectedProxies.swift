public import MeshModel
import Synchronization
public import XDSServer

/// The proxies connected right now, by connection, with their parsed identity: a view of the ADS server's
/// `ConnectionRegistry`, the one record of who is connected, which this holds and the server writes (the provider
/// hands it over as its `connectionRegistry`). Also tells listeners of each admission. Thread-safe.
public final class ConnectedProxies: XDSEventObserver, Sendable {
    /// One live connection.
    public struct Entry: Sendable {
        public var connection: UInt64
        public var proxy: Proxy
        public var remotePeer: String
        public var connectedAt: ContinuousClock.Instant
    }

    /// Every admitted connection and what it was sent; written by the ADS server made with this provider.
    public let registry = ConnectionRegistry<ProxyClient>()
    private let admissionListeners = Mutex<[@Sendable (String) -> Void]>([])

    public init() {}

    /// Called by the provider as it admits `proxy`: tells the admission listeners.
    func admitted(_ proxy: Proxy, remotePeer: String) {
        for listener in admissionListeners.withLock({ $0 }) { listener(remotePeer) }
    }

    /// Calls `listener` with the remote peer (gRPC's `ipv4:host:port`) of every proxy admitted from now on: the
    /// connection gate counts that connection as authenticated.
    public func onAdmission(_ listener: @escaping @Sendable (String) -> Void) {
        admissionListeners.withLock { $0.append(listener) }
    }

    /// Nothing to do: connections are read from the registry, not rebuilt from events. The conformance remains so
    /// that existing observer lists (`XDSEventFanOut([provider.connected, ...])`) still compile.
    public func observe(_ event: XDSEvent) {}

    /// Every live connection, sorted by proxy id.
    public func all() -> [Entry] {
        registry.all().map(Self.entry)
    }

    /// The newest live connection of the proxy named `id`: its full node id (`sidecar~10.0.0.1~pod.ns~ns.svc...`) or,
    /// as istiod and istioctl name proxies (and `meshd proxy-status` prints them), `<pod>.<namespace>`.
    public func proxy(id: String) -> Proxy? {
        connection(id: id)?.client.proxy
    }

    /// The newest live connection of the proxy named `id` (as for `proxy(id:)`), with what it was sent and accepted.
    public func connection(id: String) -> XDSConnection<ProxyClient>? {
        let live = registry.all()
        let exact = live.filter { $0.client.proxy.id == id }
        let matches =
            exact.isEmpty ? live.filter { "\($0.client.proxy.podName).\($0.client.proxy.namespace)" == id } : exact
        return matches.max { $0.id < $1.id }
    }

    private static func entry(_ connection: XDSConnection<ProxyClient>) -> Entry {
        Entry(
            connection: connection.id, proxy: connection.client.proxy, remotePeer: connection.remotePeer,
            connectedAt: connection.connectedAt)
    }
}

extension MeshResourceProvider {
    /// The registry `connected` reads: the ADS server made with this provider records its connections there.
    public var connectionRegistry: ConnectionRegistry<ProxyClient>? { connected.registry }
}
