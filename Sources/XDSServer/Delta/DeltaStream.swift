public import EnvoyAPI

/// The Delta (incremental) xDS protocol for one ADS stream, as a state machine with no I/O.
///
/// Feed it every request with `received(_:)`; to answer or push, ask `diff(_:_:)` for what the proxy lacks and,
/// after writing the response, report it with `sent(_:_:nonce:generation:)`. Each resource has its own
/// version (its content hash); the proxy's `initial_resource_versions` seed what it holds, so a reconnecting
/// proxy is sent only what changed. A NACK restores what the proxy held before the rejected response, and
/// the rejected content is never sent again. Not thread-safe: one stream task owns it.
public struct DeltaStream: Sendable {
    public typealias Request = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest

    /// What the request's nonce answered.
    public enum Reply: Sendable, Equatable {
        /// The request carried no nonce (a first request, or a subscription change only).
        case none
        case acknowledged(SentResponse)
        case rejected(NackRecord, generation: UInt64)
        /// A nonce this stream does not have outstanding; its ACK or NACK is ignored.
        case staleNonce
    }

    /// What the caller must do after a request.
    public enum RequestAction: Sendable, Equatable {
        /// `reply` says what the nonce answered; with `respond`, the subscription changed (or this is the
        /// first request for the type): send `diff` for the type.
        case handled(XDSType, reply: Reply, respond: Bool)
        /// A type URL this server does not serve.
        case unsupported(String)
    }

    public private(set) var types: [XDSType: DeltaTypeState] = [:]

    public init() {}

    /// Applies one request from the proxy.
    public mutating func received(_ request: Request, at now: ContinuousClock.Instant = .now) -> RequestAction {
        guard let type = XDSType(rawValue: request.typeURL) else { return .unsupported(request.typeURL) }
        guard var state = types[type] else {
            types[type] = Self.firstSubscription(type, request)
            return .handled(type, reply: .none, respond: true)
        }
        defer { types[type] = state }
        let changed = Self.applySubscription(
            &state, subscribe: request.resourceNamesSubscribe, unsubscribe: request.resourceNamesUnsubscribe)
        if !request.resourceNamesSubscribe.isEmpty || !request.resourceNamesUnsubscribe.isEmpty { state.heldSet = nil }
        guard !request.responseNonce.isEmpty else { return .handled(type, reply: .none, respond: changed) }
        guard let sent = state.outstanding.removeValue(forKey: request.responseNonce) else {
            return .handled(type, reply: .staleNonce, respond: changed)
        }
        if request.hasErrorDetail {
            let nack = NackRecord(
                version: sent.response.version, nonce: sent.response.nonce, resourceNames: sent.response.resourceNames,
                message: request.errorDetail.message, code: request.errorDetail.code, at: now)
            for name in sent.updated.map(\.name) + sent.removed {
                if let version = sent.previous[name], state.wants(name) {
                    state.known[name] = version
                } else {
                    state.known[name] = nil
                }
            }
            for resource in sent.updated { state.rejected[resource.name] = resource.version }
            state.heldSet = nil
            state.status.rejectedVersion = sent.response.version
            state.status.lastNack = nack
            return .handled(type, reply: .rejected(nack, generation: sent.response.generation), respond: changed)
        }
        state.status.ackedVersion = sent.response.version
        state.status.acked = sent.response
        if !state.rejected.isEmpty {
            for resource in sent.updated { state.rejected[resource.name] = nil }
        }
        return .handled(type, reply: .acknowledged(sent.response), respond: changed)
    }

    /// What a response for `type` must carry so the proxy holds exactly `resources` (the provider's full
    /// set; narrowed here to the subscription). Rejected content is left out; a subscribed name that does
    /// not exist is reported removed once, so the proxy stops waiting for it. `setVersion`, when the provider knows
    /// it, is `XDSResource.setVersion(of: resources)`: reused when the subscription wants the whole set.
    public func diff(_ type: XDSType, _ resources: [XDSResource], setVersion: String? = nil) -> DeltaDiff {
        guard let state = types[type] else {
            return DeltaDiff(updated: [], removed: [], version: XDSResource.setVersion(of: []))
        }
        // Whole sets stay the provider's own (shared) arrays: a first sync sends every resource, and the response and
        // the status record keep what was sent.
        let wholeSet = state.wildcard || resources.allSatisfy { state.wants($0.name) }
        let desired = wholeSet ? resources : resources.filter { state.wants($0.name) }
        let version = wholeSet ? setVersion ?? XDSResource.setVersion(of: desired) : XDSResource.setVersion(of: desired)
        // A first sync (nothing held, nothing rejected) sends everything wanted; only names that do not exist are removed.
        if state.known.isEmpty, state.rejected.isEmpty {
            let absent =
                state.wildcard || state.names.count == desired.count
                ? [] : Self.absentNames(state.names, among: desired)
            return DeltaDiff(updated: desired, removed: absent, version: version, wholeSet: wholeSet)
        }
        let desiredNames = Set(desired.map(\.name))
        var updated = desired.filter { state.known[$0.name] != $0.version && state.rejected[$0.name] != $0.version }
        if updated.count == desired.count { updated = desired }
        var removed = state.known.compactMap { name, version in
            !desiredNames.contains(name) && version != DeltaTypeState.absent ? name : nil
        }
        if !state.wildcard {
            removed += state.names.filter { !desiredNames.contains($0) && state.known[$0] == nil }
        }
        return DeltaDiff(updated: updated, removed: removed.sorted(), version: version, wholeSet: wholeSet)
    }

    /// The subscribed names that none of `desired` carries, sorted.
    private static func absentNames(_ names: Set<String>, among desired: [XDSResource]) -> [String] {
        let present = Set(desired.map(\.name))
        return names.filter { !present.contains($0) }.sorted()
    }

    /// The SotW version of the set the proxy holds exactly of `type` (see `DeltaTypeState.heldSet`), if any.
    public func heldSet(_ type: XDSType) -> String? { types[type]?.heldSet }

    /// Whether the proxy subscribes to every resource of `type`.
    public func isWildcard(_ type: XDSType) -> Bool { types[type]?.wildcard == true }

    /// After a response made from the whole set of version `version` (`versions` its names and versions): when the
    /// proxy now holds exactly that set, keeps `versions` itself (shared with every stream holding the set) and
    /// remembers the set, so the next difference can be shared too; and keeps `resources`, the set's own (shared)
    /// array, as what config dumps show of it.
    public mutating func holds(
        _ type: XDSType, set version: String, versions: [String: String], wholeSet: Bool,
        resources: [XDSResource]? = nil
    ) {
        guard var state = types[type] else { return }
        defer { types[type] = state }
        guard wholeSet, state.rejected.isEmpty, state.known.count == versions.count else {
            state.heldSet = nil
            return
        }
        state.known = versions
        state.heldSet = version
        if let resources { state.heldResources = resources }
    }

    /// Records a response written to the stream. Returns what it sent, as a status record.
    ///
    /// `next` is the set (its version and name → version dictionary) the difference was taken against. When the proxy
    /// held exactly a whole set before (`heldSet`), or nothing, and the response gives it the whole of `next`, the
    /// stream keeps `next`'s shared dictionary at once instead of editing (and so copying) the one it shares.
    @discardableResult
    public mutating func sent(
        _ type: XDSType, _ diff: DeltaDiff, nonce: String, generation: UInt64 = 0,
        at now: ContinuousClock.Instant = .now,
        next: (version: String, versions: [String: String])? = nil
    ) -> SentResponse {
        var state = types[type] ?? DeltaTypeState(wildcard: type.isWildcard)
        defer { types[type] = state }
        var previous: [String: String] = [:]
        if !state.known.isEmpty {
            for resource in diff.updated { previous[resource.name] = state.known[resource.name] }
            for name in diff.removed { previous[name] = state.known[name] }
        }
        // Held exactly a whole set (or nothing, and nothing is reported absent) and now gets the whole of `next`.
        if let next, diff.wholeSet, state.rejected.isEmpty,
            state.heldSet != nil || (state.known.isEmpty && diff.removed.isEmpty)
        {
            state.known = next.versions
            state.heldSet = next.version
        } else {
            for resource in diff.updated { state.known[resource.name] = resource.version }
            for name in diff.removed {
                state.known[name] = !state.wildcard && state.names.contains(name) ? DeltaTypeState.absent : nil
            }
            if !diff.isEmpty { state.heldSet = nil }  // until `holds` says otherwise
        }
        let response =
            diff.removed.isEmpty
            ? SentResponse(
                version: diff.version, nonce: nonce, resources: diff.updated, generation: generation, at: now)
            : SentResponse(
                version: diff.version, nonce: nonce, resourceNames: diff.updated.map(\.name) + diff.removed,
                generation: generation, at: now)
        state.outstanding[nonce] = DeltaSent(
            response: response, updated: diff.updated, removed: diff.removed, previous: previous)
        if state.outstanding.count > DeltaTypeState.outstandingLimit,
            let oldest = state.outstanding.min(by: { $0.value.response.at < $1.value.response.at })?.key
        {
            state.outstanding[oldest] = nil
        }
        state.status.lastSent = response
        state.responded = true
        return response
    }

    /// Forgets what the proxy holds of `names`, so the next diff sends them again. Used for EDS after CDS
    /// updates a cluster: Envoy re-warms the cluster and waits for its endpoints.
    public mutating func resend(_ type: XDSType, names: some Sequence<String>) {
        guard var state = types[type] else { return }
        for name in names where state.known[name] != nil { state.known[name] = nil }
        state.heldSet = nil
        types[type] = state
    }

    /// Replaces the subscribed names of `type` by an equal set from `intern` (given the names and an order-free
    /// digest of them), so that streams subscribing to the same thousands of names share one set.
    public mutating func shareNames(for type: XDSType, intern: (Set<String>, Int) -> Set<String>) {
        guard var state = types[type], !state.names.isEmpty else { return }
        var digest = state.names.count
        for name in state.names { digest &+= name.hashValue }  // a sum: the same for any iteration order
        state.names = intern(state.names, digest)
        types[type] = state
    }

    /// The types the proxy has asked for, in push order.
    public var subscribedTypes: [XDSType] { XDSType.pushOrder.filter { types[$0] != nil } }

    /// Per-type status in the SotW shape, for `SyncStatusStore`.
    public var status: [XDSType: SotWTypeState] {
        types.mapValues { state in
            var status = state.status
            status.wildcard = state.wildcard
            status.names = state.names
            return status
        }
    }

    private static func firstSubscription(_ type: XDSType, _ request: Request) -> DeltaTypeState {
        let subscribe = Set(request.resourceNamesSubscribe)
        var state = DeltaTypeState(wildcard: (type.isWildcard && subscribe.isEmpty) || subscribe.contains("*"))
        state.names = subscribe.subtracting(["*"])
        for (name, version) in request.initialResourceVersions where state.wants(name) { state.known[name] = version }
        return state
    }

    /// Applies subscribe and unsubscribe lists; true when the subscription grew (something new to send).
    private static func applySubscription(
        _ state: inout DeltaTypeState, subscribe: [String], unsubscribe: [String]
    ) -> Bool {
        var grew = false
        for name in unsubscribe {
            if name == "*" {
                state.wildcard = false
            } else {
                state.names.remove(name)
            }
        }
        for name in subscribe {
            if name == "*" {
                if !state.wildcard { grew = true }
                state.wildcard = true
            } else if state.names.insert(name).inserted {
                grew = true
                if state.known[name] == DeltaTypeState.absent { state.known[name] = nil }
            }
        }
        // Drop what the proxy no longer wants: it forgets unsubscribed resources itself.
        for name in state.known.keys where !state.wants(name) { state.known[name] = nil }
        return grew
    }
}
