public import EnvoyAPI
import Logging

extension ADSServer {
    public typealias DeltaRequest = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest
    public typealias DeltaResponse = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse

    /// Serves one Delta ADS stream until the proxy goes away. `write` sends one response on the stream.
    ///
    /// Emits the same `XDSEvent`s as SotW (one `sent` per response, `acknowledged`, `rejected`,
    /// `pushEvaluated`), so metrics, change tracking and sync status work the same for both.
    public func serveDelta<Requests: AsyncSequence & Sendable>(
        requests: Requests, peer: PeerInfo, write: @escaping @Sendable (PreparedDeltaResponse) async throws -> Void
    ) async throws where Requests.Element == DeltaRequest {
        var session = DeltaSession<Provider>(id: registry.makeID(), peer: peer)
        try await runStream(
            requests, session: &session,
            handle: { request, session, wake in try await handle(request, session: &session, wake: wake, write: write)
            },
            push: { request, session in try await push(request, session: &session, write: write) })
    }

    private func handle(
        _ request: DeltaRequest, session: inout DeltaSession<Provider>, wake: @escaping @Sendable () -> Void,
        write: @escaping @Sendable (PreparedDeltaResponse) async throws -> Void
    ) async throws {
        let client = try admitted(
            request.hasNode ? request.node : nil, session: &session, wake: wake, protocol: "delta")
        let action = session.stream.received(request)
        if case .handled(_, let reply, _) = action, reply != .staleNonce {
            session.ledger.answered(nonce: request.responseNonce, budget: budget)
        }
        switch action {
        case .handled(let type, let reply, let respond):
            switch reply {
            case .none, .staleNonce:
                break
            case .acknowledged(let response):
                observer.observe(
                    .acknowledged(proxy: session.proxyName, connection: session.id, type: type, response: response))
            case .rejected(let nack, let generation):
                observer.observe(
                    .rejected(
                        proxy: session.proxyName, connection: session.id, type: type, nack: nack, generation: generation
                    ))
                logRejection(
                    proxy: session.proxyName, connection: session.id, type: type, nack: nack, generation: generation)
            }
            if respond {
                session.stream.shareNames(for: type) { nameSets.intern($0, digest: $1) }
                let started = ContinuousClock.now
                let set = await resources(type, for: client)
                let diff = difference(type, set, session: session)
                let first = session.stream.types[type]?.responded == false
                if !diff.isEmpty || first {
                    try await send(
                        type, diff, of: set, trigger: .request, started: started, session: &session, write: write)
                }
                session.holds(type, set, wholeSet: diff.wholeSet)
            }
        case .unsupported(let typeURL):
            logger.debug("ignoring request for unsupported type", metadata: ["type": "\(typeURL)"])
        }
        publishStatus(session)
    }

    /// Sends what changed: updates in push order (CDS, EDS, LDS, RDS), then removals in reverse order, so a
    /// proxy never holds a reference to something it lacks.
    private func push(
        _ request: PushRequest, session: inout DeltaSession<Provider>,
        write: @escaping @Sendable (PreparedDeltaResponse) async throws -> Void
    ) async throws {
        guard let client = session.client else { return }
        var sentTypes: [XDSType] = []
        var generation = request.generation
        var removals: [(XDSType, DeltaDiff, ResourceSet)] = []
        var types = session.stream.subscribedTypes.filter { request.types.contains($0) }
        for index in types.indices {
            let type = types[index]
            let started = ContinuousClock.now
            let set = await resources(type, for: client)
            generation = max(generation, set.generation)
            var diff = difference(type, set, session: session)
            defer { session.holds(type, set, wholeSet: diff.wholeSet) }
            guard !diff.isEmpty else { continue }
            let removed = diff.removed
            diff.removed = []
            if !diff.updated.isEmpty {
                try await send(type, diff, of: set, trigger: .push, started: started, session: &session, write: write)
                if type == .cluster {
                    // Envoy re-warms an updated cluster and waits for its endpoints: send them again.
                    session.stream.resend(.endpoint, names: diff.updated.map(\.name))
                    if !types.contains(.endpoint), session.stream.types[.endpoint] != nil { types.append(.endpoint) }
                }
            }
            if !removed.isEmpty {
                removals.append(
                    (
                        type, DeltaDiff(updated: [], removed: removed, version: diff.version, wholeSet: diff.wholeSet),
                        set
                    ))
            }
            sentTypes.append(type)
        }
        for (type, diff, set) in removals.reversed() {
            try await send(type, diff, of: set, trigger: .push, started: .now, session: &session, write: write)
            session.holds(type, set, wholeSet: diff.wholeSet)
        }
        observer.observe(
            .pushEvaluated(proxy: session.proxyName, connection: session.id, generation: generation, sent: sentTypes))
        publishStatus(session)
    }

    /// `session.stream.diff(type, set.resources)`, shared with every other stream that holds exactly the same set
    /// (and subscribes the same way): one walk over the set per pair of contents, not one per stream.
    private func difference(_ type: XDSType, _ set: ResourceSet, session: DeltaSession<Provider>) -> DeltaDiff {
        let compute = { session.stream.diff(type, set.resources, setVersion: set.version) }
        guard let held = session.stream.heldSet(type), let current = set.version else { return compute() }
        if held == current { return DeltaDiff(updated: [], removed: [], version: current, wholeSet: true) }
        let key = DeltaDiffKey(type: type, wildcard: session.stream.isWildcard(type), held: held, current: current)
        return deltaDiffs.changed(key) { compute() } ?? compute()
    }

    private func send(
        _ type: XDSType, _ diff: DeltaDiff, of set: ResourceSet, trigger: XDSEvent.Trigger,
        started: ContinuousClock.Instant,
        session: inout DeltaSession<Provider>, write: @escaping @Sendable (PreparedDeltaResponse) async throws -> Void
    ) async throws {
        let nonce = session.nonces.next()
        let response = PreparedDeltaResponse(
            systemVersionInfo: diff.version, typeURL: type.rawValue, nonce: nonce, resources: diff.updated,
            removedResources: diff.removed)
        try await self.write(response, type: type, nonce: nonce, supersedes: false, session: &session, with: write)
        let generation = set.generation
        let next = set.version.flatMap { version in set.versions.map { (version, $0) } }
        let sent = session.stream.sent(type, diff, nonce: nonce, generation: generation, next: next)
        let bytes = diff.updated.reduce(0) { $0 + $1.byteCount }
        observer.observe(
            .sent(
                proxy: session.proxyName, connection: session.id, type: type, response: sent, trigger: trigger,
                bytes: bytes,
                duration: ContinuousClock.now - started))
        logger.debug(
            "pushed",
            metadata: [
                "proxy": "\(session.proxyName)", "type": "\(type.shortName)", "version": "\(diff.version)",
                "resources": "\(diff.updated.count)", "removed": "\(diff.removed.count)", "change": "\(generation)",
                "trigger": "\(trigger.rawValue)", "protocol": "delta",
            ])
    }

    private func publishStatus(_ session: DeltaSession<Provider>) {
        guard session.client != nil else { return }
        registry.publish(session.id, types: session.stream.status, delta: session.stream.types)
    }
}

/// Everything one Delta stream remembers.
struct DeltaSession<Provider: ResourceProvider>: StreamSession {
    let id: UInt64
    let peer: PeerInfo
    let connectedAt = ContinuousClock.now
    var streamProtocol: XDSStreamProtocol { .delta }
    var client: Provider.Client?
    var proxyName = ""
    var stream = DeltaStream()
    var slot: PushSlot?
    var ledger = BudgetLedger()
    var nonces: NonceSource

    init(id: UInt64, peer: PeerInfo) {
        self.id = id
        self.peer = peer
        self.nonces = NonceSource(connection: id)
    }

    /// Tells the stream which set it just made the proxy hold (when it holds all of it, the stream keeps the set's
    /// shared name → version dictionary rather than its own).
    mutating func holds(_ type: XDSType, _ set: ResourceSet, wholeSet: Bool) {
        guard let version = set.version, let versions = set.versions else { return }
        stream.holds(type, set: version, versions: versions, wholeSet: wholeSet, resources: set.resources)
    }
}
