public import EnvoyAPI
public import MeshModel
import Synchronization
public import XDSServer
import XDSTranslator

/// Supplies each proxy with the resources the translator generates from the current snapshot.
///
/// Generated resources are cached per snapshot version, proxy and type, so repeated requests on one
/// snapshot (a push followed by the proxy's follow-up requests) generate once. Thread-safe.
public final class MeshResourceProvider: ResourceProvider, Sendable {
    private struct CacheKey: Hashable {
        var proxyID: String
        var type: XDSType
    }

    private struct State {
        var snapshot: MeshSnapshot
        /// Counts the snapshots made current; tags generated content for change tracking.
        var generation: UInt64
        var cache: [CacheKey: [XDSResource]] = [:]
    }

    private let state: Mutex<State>
    private let translator = XDSTranslator()
    /// The proxies admitted and connected, for admin endpoints.
    public let connected = ConnectedProxies()

    /// Authentication and SDS; nil only for embedders and tests that run without a CA, whose proxies get no
    /// identity, no secrets and no mutual TLS.
    let security: ProxySecurity?

    public init(snapshot: MeshSnapshot, security: ProxySecurity? = nil) {
        state = Mutex(State(snapshot: snapshot, generation: 0))
        self.security = security
    }

    /// The generation of the current snapshot.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Makes `snapshot` current as `generation`. Cached generations of older snapshots are dropped.
    public func update(_ snapshot: MeshSnapshot, generation: UInt64) {
        state.withLock { $0 = State(snapshot: snapshot, generation: generation) }
    }

    public var snapshot: MeshSnapshot { state.withLock { $0.snapshot } }

    public func admit(node: Envoy_Config_Core_V3_Node, peer: PeerInfo) throws -> ProxyClient {
        var proxy = try Proxy(node: node)
        if let security { proxy.workloadIdentity = try security.authenticate(proxy, peer: peer) }
        connected.admitted(proxy, remotePeer: peer.remotePeer)
        return ProxyClient(proxy: proxy)
    }

    public func describe(_ client: ProxyClient) -> String { client.proxy.id }

    public func resources(_ type: XDSType, for client: ProxyClient) async -> ResourceSet {
        if type == .secret { return secrets(for: client) }
        let key = CacheKey(proxyID: client.proxy.id, type: type)
        let (snapshot, generation, cached) = state.withLock { ($0.snapshot, $0.generation, $0.cache[key]) }
        if let cached { return ResourceSet(generation: generation, resources: cached) }
        let generated = translator.generate(typeURL: type.rawValue, snapshot: snapshot, proxy: client.proxy)
            .compactMap { try? XDSResource(name: $0.name, resource: $0.resource) }
        state.withLock { current in
            if current.generation == generation { current.cache[key] = generated }
        }
        return ResourceSet(generation: generation, resources: generated)
    }

    /// SDS is never cached with the config: certificates rotate on their own clock. Only the secrets of the
    /// identity the proxy authenticated as are generated; a proxy without one gets none.
    private func secrets(for client: ProxyClient) -> ResourceSet {
        let (snapshot, generation) = state.withLock { ($0.snapshot, $0.generation) }
        guard let security, let identity = client.proxy.workloadIdentity else {
            return ResourceSet(generation: generation, resources: [])
        }
        let generated = translator.generate(
            typeURL: XDSType.secret.rawValue, snapshot: snapshot, proxy: client.proxy,
            secrets: security.secrets(for: identity)
        ).compactMap { try? XDSResource(name: $0.name, resource: $0.resource) }
        return ResourceSet(generation: generation, resources: generated)
    }
}
