public import EnvoyAPI
public import Logging
public import MeshModel
public import SwiftProtobuf
import Synchronization
public import XDSServer
public import XDSTranslator

/// Supplies each proxy with the resources the translator generates from the current snapshot.
///
/// Generated resources are cached per generator inputs (`GeneratorInputs`: exactly what a type's generator reads of
/// the proxy), keyed by content: proxies with equal inputs share one generation and the same serialised bytes.
/// Each type has an epoch, the generation at which its inputs last changed: an update moves the epochs of the
/// types whose declared dependencies (`XDSTranslator.dependencies(ofTypeURL:)`) its change set touches, and only
/// those types are regenerated and re-sent. Thread-safe.
public final class MeshResourceProvider: ResourceProvider, Sendable {
    private struct State {
        var snapshot: MeshSnapshot
        /// The generation of the current snapshot (its `ChangeLog` generation when it came from the store).
        var generation: UInt64
        var index: ProxyInputsIndex
        /// The index of the snapshot before the last update: a proxy whose inputs differ between the two gets the
        /// types whose epochs that update left in place as well (`pushScope`).
        var previousIndex: ProxyInputsIndex?
        var epochs: [XDSType: UInt64]
        /// Incremental EDS: each inputs' last EDS set, kept across endpoint-only updates as the base of the next one.
        var endpointBases: [EndpointInputs: (epoch: UInt64, entry: ResourceCache.Entry)] = [:]
        /// The hostnames each endpoint-only update since the last other EDS update changed, oldest first.
        var endpointChanges: [(epoch: UInt64, hostnames: Set<String>)] = []
        /// `endpointChanges` holds every update after this EDS epoch.
        var endpointChangesAfter: UInt64 = 0

        /// The hostnames changed since the EDS set of `epoch` was made, or nil when the record does not reach back.
        func hostnamesChanged(since epoch: UInt64) -> Set<String>? {
            guard epoch >= endpointChangesAfter else { return nil }
            return endpointChanges.reduce(into: Set<String>()) { hosts, change in
                if change.epoch > epoch { hosts.formUnion(change.hostnames) }
            }
        }
    }

    /// The types whose declared dependencies read a proxy's own workload through its inputs.
    private static let ownWorkloadTypes: [XDSType] = XDSType.allCases.filter {
        XDSTranslator.dependencies(ofTypeURL: $0.rawValue)?.readsOwnWorkload ?? true
    }

    /// Endpoint-only updates remembered for incremental EDS.
    private static let endpointChangeLimit = 32

    private let state: Mutex<State>
    private let cache: ResourceCache
    private let translator: XDSTranslator
    private let encoder: ResourceEncoder
    private let metrics: PushMetrics?
    private let logger: Logger
    /// Mesh-wide translation settings (`meshd serve --outbound-traffic-policy`), for admin views that translate too.
    public var translatorSettings: TranslatorSettings { translator.settings }
    /// The proxies admitted and connected, for admin endpoints.
    public let connected = ConnectedProxies()

    /// Authentication and SDS; nil only for embedders and tests that run without a CA, whose proxies get no
    /// identity, no secrets and no mutual TLS.
    let security: ProxySecurity?
    /// Receives what authorization lost in translation, for each listener set generated; nil drops it.
    let authorizationWarnings: AuthorizationWarningLog?
    /// WorkloadEntry auto-registration of proxies whose node names a WorkloadGroup; nil when not wired (embedders,
    /// tests), and such proxies are admitted without an entry.
    public let autoRegistration: WorkloadAutoRegistration?

    public init(
        snapshot: MeshSnapshot, security: ProxySecurity? = nil, metrics: PushMetrics? = nil,
        translatorSettings: TranslatorSettings = TranslatorSettings(),
        authorizationWarnings: AuthorizationWarningLog? = nil, autoRegistration: WorkloadAutoRegistration? = nil,
        encoder: ResourceEncoder = .standard, logger: Logger = Logger(label: "meshd.push")
    ) {
        self.authorizationWarnings = authorizationWarnings
        self.autoRegistration = autoRegistration
        translator = XDSTranslator(settings: translatorSettings)
        let epochs = Dictionary(uniqueKeysWithValues: XDSType.allCases.map { ($0, UInt64(0)) })
        state = Mutex(
            State(
                snapshot: snapshot, generation: snapshot.generation, index: ProxyInputsIndex(snapshot), epochs: epochs))
        cache = ResourceCache(metrics: metrics)
        self.security = security
        self.encoder = encoder
        self.metrics = metrics
        self.logger = logger
    }

    /// The generation of the current snapshot.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// The types whose generated sets `changes` can alter between the current snapshot and `snapshot`, by each
    /// generator's declared dependencies. Secrets are always included when anything they read changed.
    public func affectedTypes(by changes: ChangeSet, to snapshot: MeshSnapshot) -> Set<XDSType> {
        let old = self.snapshot
        return Set(
            XDSType.allCases.filter { type in
                XDSTranslator.dependencies(ofTypeURL: type.rawValue)?.affected(by: changes, from: old, to: snapshot)
                    ?? true
            })
    }

    /// Makes `snapshot` current as `generation`, after `changes` (what differs from the current one; unknown by
    /// default, which regenerates everything). Returns the types the update re-generates for every proxy: what a
    /// push must offer. Cached sets of those types are dropped; the others stay in force.
    @discardableResult
    public func update(_ snapshot: MeshSnapshot, generation: UInt64, changes: ChangeSet = .unknown) -> Set<XDSType> {
        let affected = affectedTypes(by: changes, to: snapshot)
        let index = ProxyInputsIndex(snapshot)
        // EDS is made incrementally (from each inputs' last set) when only workloads moved.
        let incremental = affected.contains(.endpoint) && changes.isEndpointOnly
        let kept = incremental ? cache.readyEntries(of: .endpoint) : []
        let epochs = state.withLock { state -> [XDSType: UInt64] in
            if incremental {
                let current = state.epochs[.endpoint] ?? 0
                for (key, entry) in kept where key.epoch == current {
                    if case .endpoint(let inputs) = key.inputs { state.endpointBases[inputs] = (key.epoch, entry) }
                }
                state.endpointChanges.append((generation, changes.endpointHostnames))
                if state.endpointChanges.count > Self.endpointChangeLimit {
                    state.endpointChangesAfter = state.endpointChanges.removeFirst().epoch
                    let after = state.endpointChangesAfter
                    state.endpointBases = state.endpointBases.filter { $0.value.epoch >= after }
                }
            } else if affected.contains(.endpoint) {
                state.endpointBases = [:]
                state.endpointChanges = []
                state.endpointChangesAfter = generation
            }
            state.previousIndex = state.index
            for type in affected { state.epochs[type] = generation }
            state.snapshot = snapshot
            state.generation = generation
            state.index = index
            return state.epochs
        }
        cache.retain { epochs[$0.type] == $0.epoch }
        return affected
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
        // Last: a registered entry is paired with this stream's disconnection, which follows every admission.
        try autoRegistration?.register(proxy)
        connected.admitted(proxy, remotePeer: peer.remotePeer)
        return ProxyClient(proxy: proxy)
    }

    public func describe(_ client: ProxyClient) -> String { client.proxy.id }

    /// Proxyless gRPC clients are told which subscribed names meshd has no resource for (as NOT_FOUND resource
    /// errors, which gRPC reports at once); Envoy gets the spec's empty answer.
    public func reportsMissingResources(_ client: ProxyClient) -> Bool { client.proxy.kind == .grpc }

    /// The translator's reason, against the current snapshot: no such service or port, a subset no DestinationRule
    /// defines, or a cluster meshd will not give gRPC (DNS, TLS it cannot originate).
    public func missingResourceReason(_ type: XDSType, name: String, for client: ProxyClient) -> String {
        translator.proxylessGRPCAbsence(typeURL: type.rawValue, name: name, snapshot: snapshot, proxy: client.proxy)
    }

    /// A push of some types also carries, for a proxy whose own inputs changed with the update (its workload
    /// appeared, left, or changed ports or labels), every other type whose inputs differ for it.
    ///
    /// Only the types that read the proxy's own workload (CDS, LDS) can have inputs that change while their epoch
    /// stays: every other input (kind, namespace, the selected Sidecar, whether routes match on `sourceLabels`) follows
    /// config kinds that move every type's epoch. So only those are compared, on every narrow push of every proxy.
    public func pushScope(_ request: PushRequest, for client: ProxyClient) -> PushRequest {
        guard !request.isFull else { return request }
        let widened = state.withLock { state -> Set<XDSType> in
            guard let previous = state.previousIndex else { return [] }
            return Set(
                Self.ownWorkloadTypes.filter { type in
                    !request.types.contains(type)
                        && previous.inputs(of: client.proxy, typeURL: type.rawValue)
                            != state.index.inputs(of: client.proxy, typeURL: type.rawValue)
                })
        }
        guard !widened.isEmpty else { return request }
        return PushRequest(types: request.types.union(widened), generation: request.generation)
    }

    public func resources(_ type: XDSType, for client: ProxyClient) async -> ResourceSet {
        if type == .secret { return secrets(for: client) }
        let found = state.withLock {
            state -> (MeshSnapshot, UInt64, ResourceCache.Key, (ResourceCache.Entry, Set<String>)?)? in
            guard let inputs = state.index.inputs(of: client.proxy, typeURL: type.rawValue) else { return nil }
            let key = ResourceCache.Key(type: type, epoch: state.epochs[type] ?? 0, inputs: inputs)
            var base: (ResourceCache.Entry, Set<String>)?
            if case .endpoint(let endpointInputs) = inputs, let kept = state.endpointBases[endpointInputs],
                let hostnames = state.hostnamesChanged(since: kept.epoch)
            {
                base = (kept.entry, hostnames)
            }
            return (state.snapshot, state.generation, key, base)
        }
        guard let (snapshot, generation, key, base) = found else {
            return ResourceSet(generation: self.generation, resources: [])
        }
        let translator = translator
        let warningLog = authorizationWarnings
        let proxyID = client.proxy.id
        let entry = await cache.entry(for: key) {
            if case .listener(let inputs) = key.inputs, let warningLog {
                warningLog.report(translator.authorizationWarnings(inputs, snapshot: snapshot), proxyID: proxyID)
            }
            if let (previous, hostnames) = base, case .endpoint(let inputs) = key.inputs,
                let resources = endpoints(
                    updating: previous.resources, hostnames: hostnames, snapshot: snapshot, inputs: inputs,
                    proxyID: proxyID)
            {
                return resources
            }
            return encode(
                translator.generate(key.inputs, snapshot: snapshot), type: type, proxyID: proxyID, snapshot: snapshot)
        }
        return ResourceSet(
            generation: generation, resources: entry.resources, version: entry.version, namesDigest: entry.namesDigest,
            versions: entry.versions)
    }

    /// Serialises generated resources, each naming the objects it was generated from (its `sources`, the keys the
    /// generator made: shared, not copied), once per generated set: every proxy that shares the set shares them. One
    /// that fails to encode is logged with its name and those objects (with their files and lines in `snapshot`), and
    /// counted (`meshd_xds_resource_encoding_failures_total`); the rest go out.
    private func encode(
        _ translated: [TranslatedResource], type: XDSType, proxyID: String, snapshot: MeshSnapshot
    ) -> [XDSResource] {
        var resources: [XDSResource] = []
        resources.reserveCapacity(translated.count)
        for resource in translated {
            do {
                resources.append(try encoder.encode(resource.name, resource.resource).withSources(resource.sources))
            } catch {
                let sources = resource.sources.map { key in
                    snapshot.objects[key].map { "\(key) (\($0.source))" } ?? key.description
                }
                logger.error(
                    "resource encoding failed; the resource is left out of this push",
                    metadata: [
                        "type": "\(type.shortName)", "resource": "\(resource.name)", "proxy": "\(proxyID)",
                        "sources": "\(sources.joined(separator: ", "))", "error": "\(error)",
                    ])
                metrics?.encodingFailed(type: type.shortName)
            }
        }
        return resources
    }

    /// EDS sets made from a previous one by regenerating only the assignments of services whose endpoints changed
    /// (an endpoint-only update leaves every other assignment as it was). Nil when the previous set does not have
    /// exactly the clusters of those services that generation gives now: then the caller generates everything.
    private func endpoints(
        updating previous: [XDSResource], hostnames: Set<String>, snapshot: MeshSnapshot, inputs: EndpointInputs,
        proxyID: String
    ) -> [XDSResource]? {
        let translated = translator.generateEndpoints(inputs, snapshot: snapshot, hostnames: hostnames)
        let encoded = encode(translated, type: .endpoint, proxyID: proxyID, snapshot: snapshot)
        guard encoded.count == translated.count else { return nil }
        var fresh: [String: XDSResource] = [:]
        for resource in encoded { fresh[resource.name] = resource }
        var replaced = 0
        var updated = previous
        for index in updated.indices {
            if let resource = fresh[updated[index].name] {
                updated[index] = resource
                replaced += 1
            } else if ClusterName.isOutbound(updated[index].name, ofOneOf: hostnames) {
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
        let inputs = ProxyInputsIndex.secretInputs(of: client.proxy, secrets: security.secrets(for: identity))
        let translated = translator.generateSecrets(inputs, snapshot: snapshot).map(\.packed)
        return ResourceSet(
            generation: generation,
            resources: encode(translated, type: .secret, proxyID: client.proxy.id, snapshot: snapshot))
    }
}

/// Serialises a generated resource into the bytes every stream shares. Injectable so that a test can make one fail.
public struct ResourceEncoder: Sendable {
    let encode: @Sendable (_ name: String, _ resource: Google_Protobuf_Any) throws -> XDSResource

    public init(_ encode: @escaping @Sendable (_ name: String, _ resource: Google_Protobuf_Any) throws -> XDSResource) {
        self.encode = encode
    }

    /// `XDSResource(name:resource:)`: deterministic protobuf bytes.
    public static let standard = ResourceEncoder { name, resource in try XDSResource(name: name, resource: resource) }
}
