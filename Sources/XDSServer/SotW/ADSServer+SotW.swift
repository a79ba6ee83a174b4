public import EnvoyAPI
import Logging

extension ADSServer {
    /// Serves one SotW ADS stream until the proxy goes away. `write` sends one response on the stream.
    public func serveSotW<Requests: AsyncSequence & Sendable>(
        requests: Requests, peer: PeerInfo, write: @escaping @Sendable (PreparedResponse) async throws -> Void
    ) async throws where Requests.Element == Request {
        var session = SotWSession<Provider>(id: registry.makeID(), peer: peer)
        try await runStream(
            requests, session: &session,
            handle: { request, session, wake in try await handle(request, session: &session, wake: wake, write: write)
            },
            push: { request, session in try await push(request, session: &session, write: write) })
    }

    /// `serveSotW` for requests given as messages (tests and in-process callers; the gRPC service reads
    /// `SotWRequest`s from the wire).
    public func serveSotW<Requests: AsyncSequence & Sendable>(
        requests: Requests, peer: PeerInfo, write: @escaping @Sendable (PreparedResponse) async throws -> Void
    ) async throws where Requests.Element == Envoy_Service_Discovery_V3_DiscoveryRequest {
        try await serveSotW(requests: requests.map { SotWRequest($0) }, peer: peer, write: write)
    }

    private func handle(
        _ request: Request, session: inout SotWSession<Provider>, wake: @escaping @Sendable () -> Void,
        write: @escaping @Sendable (PreparedResponse) async throws -> Void
    ) async throws {
        let client = try admitted(request.hasNode ? request.node : nil, session: &session, wake: wake)
        let action = session.stream.received(request)
        if case .ignoredStaleNonce = action {
        } else {
            session.ledger.answered(nonce: request.responseNonce, budget: budget)
        }
        switch action {
        case .respond(let type):
            let started = ContinuousClock.now
            let set = await resources(type, for: client)
            let (resources, version) = session.stream.response(from: set, for: type)
            session.stream.shareNames(for: type) { nameSets.intern($0, digest: $1) }
            try await send(
                type, resources, version: version, generation: set.generation, trigger: .request,
                started: started, session: &session, write: write)
            if !type.isWildcard { session.lastNamed[type] = resources }
        case .acknowledged(let type, _):
            if let response = session.stream.types[type]?.lastSent {
                observer.observe(
                    .acknowledged(proxy: session.proxyName, connection: session.id, type: type, response: response))
            }
        case .rejected(let type, let nack):
            session.lastNamed[type] = nil  // the proxy holds less than we sent: the next push sends everything
            let generation = session.stream.types[type]?.lastSent?.generation ?? 0
            observer.observe(
                .rejected(
                    proxy: session.proxyName, connection: session.id, type: type, nack: nack, generation: generation))
            logRejection(
                proxy: session.proxyName, connection: session.id, type: type, nack: nack, generation: generation)
        case .ignoredStaleNonce:
            break
        case .unsupported(let typeURL):
            logger.debug("ignoring request for unsupported type", metadata: ["type": "\(typeURL)"])
        }
        publishStatus(session)
    }

    private func push(
        _ request: PushRequest, session: inout SotWSession<Provider>,
        write: @escaping @Sendable (PreparedResponse) async throws -> Void
    )
        async throws
    {
        guard let client = session.client else { return }
        var sentTypes: [XDSType] = []
        var generation = request.generation
        // Make before break: a wildcard type (CDS, LDS) that drops resources first goes out in push order with the
        // dropped ones still in it, and only after every other type, in reverse order, without them.
        var removals: [(type: XDSType, resources: [XDSResource], version: String, generation: UInt64)] = []
        for type in session.stream.subscribedTypes where request.types.contains(type) {
            let started = ContinuousClock.now
            let set = await resources(type, for: client)
            generation = max(generation, set.generation)
            let wildcard = session.stream.types[type]?.wildcard == true
            let (resources, version) = session.stream.response(from: set, for: type)
            guard session.stream.shouldPush(type, version: version) else { continue }
            sentTypes.append(type)
            let dropped = wildcard ? session.dropped(type, keeping: resources) : []
            guard !dropped.isEmpty else {
                // EDS and RDS may carry only what changed (Envoy keeps the rest), unless the cluster or listener
                // that names them went out in this push: Envoy re-warms those and waits for every resource.
                let parentSent = sentTypes.contains(type == .endpoint ? .cluster : .listener)
                let payload =
                    parentSent
                    ? resources : changed(type, in: resources, version: version, session: session) ?? resources
                try await send(
                    type, payload, holding: resources, version: version, generation: set.generation, trigger: .push,
                    started: started,
                    session: &session, write: write)
                if !type.isWildcard { session.lastNamed[type] = resources }
                continue
            }
            removals.append((type, resources, version, set.generation))
            let bridge = resources + dropped
            let bridgeVersion = XDSResource.setVersion(of: bridge)
            if session.stream.shouldPush(type, version: bridgeVersion) {
                try await send(
                    type, bridge, version: bridgeVersion, generation: set.generation, trigger: .push, started: started,
                    session: &session, write: write)
            }
        }
        for removal in removals.reversed() where session.stream.shouldPush(removal.type, version: removal.version) {
            try await send(
                removal.type, removal.resources, version: removal.version, generation: removal.generation,
                trigger: .push,
                started: .now, session: &session, write: write)
        }
        observer.observe(
            .pushEvaluated(proxy: session.proxyName, connection: session.id, generation: generation, sent: sentTypes))
        publishStatus(session)
    }

    /// `session.changed(type, in:)`, shared with every other stream that holds the same set and gets the same one.
    private func changed(
        _ type: XDSType, in resources: [XDSResource], version: String, session: SotWSession<Provider>
    ) -> [XDSResource]? {
        guard session.lastNamed[type] != nil, let held = session.stream.types[type]?.lastSent?.version else {
            return session.changed(type, in: resources)
        }
        return changedSets.changed(ChangedSetKey(type: type, held: held, current: version)) {
            session.changed(type, in: resources)
        }
    }

    /// Writes one response carrying `resources`, after which the proxy holds `holding` (nil: `resources`), and records it.
    private func send(
        _ type: XDSType, _ resources: [XDSResource], holding: [XDSResource]? = nil, version: String, generation: UInt64,
        trigger: XDSEvent.Trigger,
        started: ContinuousClock.Instant, session: inout SotWSession<Provider>,
        write: @escaping @Sendable (PreparedResponse) async throws -> Void
    ) async throws {
        let nonce = session.nonces.next()
        let missing = missingResources(type, holding: holding ?? resources, session: session)
        let response = PreparedResponse(
            versionInfo: version, typeURL: type.rawValue, nonce: nonce, controlPlaneID: controlPlaneID,
            resources: resources, resourceErrors: missing)
        try await self.write(response, type: type, nonce: nonce, supersedes: true, session: &session, with: write)
        let reported = session.stream.types[type]?.notFound ?? [:]
        session.stream.sent(
            type, version: version, nonce: nonce, resources: resources, holding: holding, generation: generation)
        session.stream.reportedMissing(type, missing)
        for entry in missing where reported[entry.name] != entry.reason {
            logger.warning(
                "proxy subscribed to a resource meshd does not have; told it NOT_FOUND",
                metadata: [
                    "proxy": "\(session.proxyName)", "type": "\(type.shortName)", "resource": "\(entry.name)",
                    "reason": "\(entry.reason)",
                ])
        }
        if type.isWildcard { session.lastWildcard[type] = resources }
        if let sent = session.stream.types[type]?.lastSent {
            let bytes = resources.reduce(0) { $0 + $1.byteCount }
            observer.observe(
                .sent(
                    proxy: session.proxyName, connection: session.id, type: type, response: sent, trigger: trigger,
                    bytes: bytes,
                    duration: ContinuousClock.now - started))
        }
        logger.debug(
            "pushed",
            metadata: [
                "proxy": "\(session.proxyName)", "type": "\(type.shortName)", "version": "\(version)",
                "resources": "\(resources.count)",
                "change": "\(generation)", "trigger": "\(trigger.rawValue)",
            ])
    }

    /// The subscribed names `holding` (what the proxy holds after the response) lacks, with the provider's reasons,
    /// for a client that is told (`ResourceProvider.reportsMissingResources`); empty otherwise.
    private func missingResources(
        _ type: XDSType, holding: [XDSResource], session: SotWSession<Provider>
    ) -> [MissingResource] {
        guard let client = session.client, provider.reportsMissingResources(client) else { return [] }
        return session.stream.missing(from: holding, for: type).map {
            MissingResource(name: $0, reason: provider.missingResourceReason(type, name: $0, for: client))
        }
    }

    private func publishStatus(_ session: SotWSession<Provider>) {
        guard session.client != nil else { return }
        registry.publish(session.id, types: session.stream.types)
    }

    /// A warning per NACK, naming the proxy, the type, the resources and Envoy's reason: the reason cut to
    /// `ADSServerOptions.loggedNackBytes`, and at most a few per proxy a minute (`RejectionLogLimiter`); the
    /// rest are counted in the next one logged. `/debug/nacks` keeps the stored text.
    func logRejection(proxy: String, connection: UInt64, type: XDSType, nack: NackRecord, generation: UInt64) {
        let decision = rejectionLog.decide(connection: connection)
        guard decision.log else { return }
        var metadata: Logger.Metadata = [
            "proxy": "\(proxy)", "type": "\(type.shortName)", "version": "\(nack.version)", "change": "\(generation)",
            "resources": "\(nack.resourceNames.joined(separator: ",").truncated(toUTF8Bytes: options.loggedNackBytes))",
            "error": "\(nack.message.truncated(toUTF8Bytes: options.loggedNackBytes, note: "; see /debug/nacks"))",
        ]
        if decision.suppressed > 0 { metadata["suppressed"] = "\(decision.suppressed)" }
        logger.warning("proxy rejected config", metadata: metadata)
    }
}

/// Everything one SotW stream remembers.
struct SotWSession<Provider: ResourceProvider>: StreamSession {
    let id: UInt64
    let peer: PeerInfo
    let connectedAt = ContinuousClock.now
    var streamProtocol: XDSStreamProtocol { .sotw }
    var client: Provider.Client?
    var proxyName = ""
    var stream = SotWStream()
    var slot: PushSlot?
    var ledger = BudgetLedger()
    var nonces: NonceSource
    /// The last resources sent of each wildcard type. Usually the provider's own cached array, so shared, not copied.
    var lastWildcard: [XDSType: [XDSResource]] = [:]
    /// What the proxy holds of each non-wildcard type (EDS, RDS, SDS): the whole set of the last response or push,
    /// even when only the changed part was sent. Usually the provider's cached array, so shared, not copied.
    var lastNamed: [XDSType: [XDSResource]] = [:]

    init(id: UInt64, peer: PeerInfo) {
        self.id = id
        self.peer = peer
        self.nonces = NonceSource(connection: id)
    }

    /// The EDS or RDS resources whose content differs from what the proxy holds, or nil when it is not known what it
    /// holds (or for other types). SotW lets EDS and RDS responses carry only changed resources: Envoy keeps the
    /// others (SDS is left whole).
    func changed(_ type: XDSType, in resources: [XDSResource]) -> [XDSResource]? {
        guard type == .endpoint || type == .route, let previous = lastNamed[type] else { return nil }
        // The usual case: the same names in the same order (both sets come from one view's cache), so the versions
        // are compared position by position, without hashing every name into a dictionary on every stream.
        if previous.count == resources.count, previous.indices.allSatisfy({ previous[$0].name == resources[$0].name }) {
            return resources.indices.compactMap { previous[$0].version == resources[$0].version ? nil : resources[$0] }
        }
        var held: [String: String] = Dictionary(minimumCapacity: previous.count)
        for resource in previous { held[resource.name] = resource.version }
        return resources.filter { held[$0.name] != $0.version }
    }

    /// The resources of `type` the proxy holds that `resources` no longer has: sending `resources` alone would
    /// delete them, since a SotW response for a wildcard type is the whole set.
    func dropped(_ type: XDSType, keeping resources: [XDSResource]) -> [XDSResource] {
        guard let previous = lastWildcard[type], !previous.isEmpty else { return [] }
        let kept = Set(resources.map(\.name))
        return previous.filter { !kept.contains($0.name) }
    }
}
