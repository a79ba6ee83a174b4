public import EnvoyAPI
public import MeshModel
import Synchronization
public import XDSServer
public import XDSTranslator

/// Supplies each proxy with the resources the translator generates from the current snapshot.
///
/// Generated resources are cached per type and per distinct proxy view (`ProxyView`), keyed by content:
/// proxies that read the same inputs share one generation and the same serialised bytes. Each type has an
/// epoch, the generation at which its inputs last changed; an endpoint-only update (`.endpointsOnly`) moves
/// only the EDS epoch, so CDS, LDS and RDS are neither regenerated nor re-sent. Thread-safe.
public final class MeshResourceProvider: ResourceProvider, Sendable {
    /// Which types an update can have changed.
    public enum UpdateScope: Sendable {
        /// Anything may have changed.
        case full
        /// Only endpoints changed, and `EndpointFastPath` proved CDS cannot differ for an unchanged view.
        case endpointsOnly
    }

    private struct State {
        var snapshot: MeshSnapshot
        /// Counts the snapshots made current; tags generated content for change tracking.
        var generation: UInt64
        var views: ProxyViewIndex
        /// The view index before the last endpoint-only update, to find proxies whose own workload changed.
        var previousViews: ProxyViewIndex?
        var epochs: [XDSType: UInt64]
        /// Incremental EDS: each view's last EDS set, kept across endpoint-only updates as the base of the next one.
        var endpointBases: [ProxyView: (epoch: UInt64, entry: ResourceCache.Entry)] = [:]
        /// The hostnames each endpoint-only update since the last full one changed, oldest first.
        var endpointChanges: [(epoch: UInt64, hostnames: Set<String>)] = []
        /// `endpointChanges` holds every update after this EDS epoch (the last full update, or the last change
        /// trimmed from the record).
        var endpointChangesAfter: UInt64 = 0

        /// The hostnames changed since the EDS set of `epoch` was made, or nil when the record does not reach back.
        func hostnamesChanged(since epoch: UInt64) -> Set<String>? {
            guard epoch >= endpointChangesAfter else { return nil }
            return endpointChanges.reduce(into: Set<String>()) { hosts, change in
                if change.epoch > epoch { hosts.formUnion(change.hostnames) }
            }
        }
    }

    /// Endpoint-only updates remembered for incremental EDS.
    private static let endpointChangeLimit = 32

    private let state: Mutex<State>
    private let cache: ResourceCache
    private let translator: XDSTranslator
    /// Mesh-wide translation settings (`meshd serve --outbound-traffic-policy`), for admin views that translate too.
    public var translatorSettings: TranslatorSettings { translator.settings }
    /// The proxies admitted and connected, for admin endpoints.
    public let connected = ConnectedProxies()

    /// Authentication and SDS; nil only for embedders and tests that run without a CA, whose proxies get no
    /// identity, no secrets and no mutual TLS.
    let security: ProxySecurity?
    /// Receives what authorization lost in translation, for each listener set generated; nil drops it.
    let authorizationWarnings: AuthorizationWarningLog?

    public init(
        snapshot: MeshSnapshot, security: ProxySecurity? = nil, metrics: PushMetrics? = nil,
        translatorSettings: TranslatorSettings = TranslatorSettings(),
        authorizationWarnings: AuthorizationWarningLog? = nil
    ) {
        self.authorizationWarnings = authorizationWarnings
        translator = XDSTranslator(settings: translatorSettings)
        let epochs = Dictionary(uniqueKeysWithValues: XDSType.allCases.map { ($0, UInt64(0)) })
        state = Mutex(State(snapshot: snapshot, generation: 0, views: ProxyViewIndex(snapshot), epochs: epochs))
        cache = ResourceCache(metrics: metrics)
        self.security = security
    }

    /// The generation of the current snapshot.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Makes `snapshot` current as `generation`. Cached sets of types whose inputs changed are dropped.
    public func update(_ snapshot: MeshSnapshot, generation: UInt64, scope: UpdateScope = .full) {
        let views = ProxyViewIndex(snapshot)
        let changedHostnames = scope == .endpointsOnly ? EndpointFastPath.changedHostnames(from: self.snapshot, to: snapshot) : []
        let kept = scope == .endpointsOnly ? cache.readyEntries(of: .endpoint) : []
        let epochs = state.withLock { state -> [XDSType: UInt64] in
            if scope == .endpointsOnly {
                let current = state.epochs[.endpoint] ?? 0
                for (key, entry) in kept where key.epoch == current { state.endpointBases[key.view] = (key.epoch, entry) }
                state.endpointChanges.append((generation, changedHostnames))
                if state.endpointChanges.count > Self.endpointChangeLimit {
                    state.endpointChangesAfter = state.endpointChanges.removeFirst().epoch
                    let after = state.endpointChangesAfter
                    state.endpointBases = state.endpointBases.filter { $0.value.epoch >= after }
                }
            } else {
                state.endpointBases = [:]
                state.endpointChanges = []
                state.endpointChangesAfter = generation
            }
            state.previousViews = scope == .endpointsOnly ? state.views : nil
            for type in XDSType.allCases where scope == .full || type == .endpoint { state.epochs[type] = generation }
            state.snapshot = snapshot
            state.generation = generation
            state.views = views
            return state.epochs
        }
        cache.retain { epochs[$0.type] == $0.epoch }
    }

    public var snapshot: MeshSnapshot { state.withLock { $0.snapshot } }

    /// The number of generated sets cached (per type and distinct view).
    public var cachedSets: Int { cache.count }

    public func admit(node: Envoy_Config_Core_V3_Node, peer: PeerInfo) throws -> ProxyClient {
        var proxy: Proxy
        do {
            proxy = try Proxy(node: node)
        } catch {
            throw AdmissionError(.invalidNode, "\(error)")
        }
        if let security { proxy.workloadIdentity = try security.authenticate(proxy, peer: peer) }
        connected.admitted(proxy, remotePeer: peer.remotePeer)
        return ProxyClient(proxy: proxy)
    }

    public func describe(_ client: ProxyClient) -> String { client.proxy.id }

    /// An EDS-only push becomes a full one for a proxy whose own view changed with the update (its workload
    /// appeared, left, or changed ports or labels): its CDS and LDS differ too.
    public func pushScope(_ request: PushRequest, for client: ProxyClient) -> PushRequest {
        guard !request.isFull else { return request }
        let changed = state.withLock { state -> Bool in
            guard let previous = state.previousViews else { return false }
            return [XDSType.cluster, .listener].contains {
                ProxyView.of(client.proxy, for: $0, in: previous) != ProxyView.of(client.proxy, for: $0, in: state.views)
            }
        }
        return changed ? PushRequest(generation: request.generation) : request
    }

    public func resources(_ type: XDSType, for client: ProxyClient) async -> ResourceSet {
        if type == .secret { return secrets(for: client) }
        let (snapshot, generation, key, base) = state.withLock { state in
            let key = ResourceCache.Key(type: type, epoch: state.epochs[type] ?? 0, view: ProxyView.of(client.proxy, for: type, in: state.views))
            var base: (entry: ResourceCache.Entry, hostnames: Set<String>)?
            if type == .endpoint, let kept = state.endpointBases[key.view], let hostnames = state.hostnamesChanged(since: kept.epoch) {
                base = (kept.entry, hostnames)
            }
            return (state.snapshot, state.generation, key, base)
        }
        let translator = translator
        let warningLog = authorizationWarnings
        let entry = await cache.entry(for: key) {
            if type == .listener, let warningLog {
                warningLog.report(translator.authorizationWarnings(snapshot: snapshot, proxy: client.proxy), proxyID: client.proxy.id)
            }
            if let base, let resources = Self.endpoints(updating: base.entry.resources, hostnames: base.hostnames, snapshot: snapshot, proxy: client.proxy, translator: translator) {
                return resources
            }
            return translator.generate(typeURL: type.rawValue, snapshot: snapshot, proxy: client.proxy)
                .compactMap { try? XDSResource(name: $0.name, resource: $0.resource) }
        }
        return ResourceSet(
            generation: generation, resources: entry.resources, version: entry.version, namesDigest: entry.namesDigest, versions: entry.versions)
    }

    /// EDS sets made from a previous one by regenerating only the assignments of services whose endpoints changed
    /// (an endpoint-only update leaves every other assignment as it was). Nil when the previous set does not have
    /// exactly the clusters of those services that generation gives now: then the caller generates everything.
    static func endpoints(
        updating previous: [XDSResource], hostnames: Set<String>, snapshot: MeshSnapshot, proxy: Proxy, translator: XDSTranslator
    ) -> [XDSResource]? {
        var fresh: [String: XDSResource] = [:]
        for translated in translator.generateEndpoints(snapshot: snapshot, proxy: proxy, hostnames: hostnames) {
            guard let resource = try? XDSResource(name: translated.name, resource: translated.resource) else { return nil }
            fresh[resource.name] = resource
        }
        var replaced = 0
        var updated = previous
        for index in updated.indices {
            if let resource = fresh[updated[index].name] {
                updated[index] = resource
                replaced += 1
            } else if let host = ClusterName.hostname(of: updated[index].name), hostnames.contains(host) {
                return nil  // a cluster of a changed service that generation no longer gives
            }
        }
        return replaced == fresh.count ? updated : nil
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
