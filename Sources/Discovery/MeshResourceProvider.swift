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

    public init(snapshot: MeshSnapshot) {
        state = Mutex(State(snapshot: snapshot, generation: 0))
    }

    /// Makes `snapshot` current as `generation`. Cached generations of older snapshots are dropped.
    public func update(_ snapshot: MeshSnapshot, generation: UInt64) {
        state.withLock { $0 = State(snapshot: snapshot, generation: generation) }
    }

    public var snapshot: MeshSnapshot { state.withLock { $0.snapshot } }

    public func admit(node: Envoy_Config_Core_V3_Node, peer: PeerInfo) throws -> ProxyClient {
        ProxyClient(proxy: try Proxy(node: node))
    }

    public func describe(_ client: ProxyClient) -> String { client.proxy.id }

    public func resources(_ type: XDSType, for client: ProxyClient) async -> ResourceSet {
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
}
