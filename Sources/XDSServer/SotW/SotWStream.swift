public import EnvoyAPI

/// The State-of-the-World protocol for one ADS stream, as a state machine with no I/O.
///
/// Feed it every request with `received(_:)` and follow the returned action; before sending a push, ask
/// `shouldPush(_:version:)`; after sending any response, report it with `sent(_:version:nonce:names:)`.
/// Not thread-safe: one stream task owns it.
public struct SotWStream: Sendable {
    /// What the caller must do after a request.
    public enum RequestAction: Sendable, Equatable {
        /// Generate the resources of this type for the current subscription and send them.
        case respond(XDSType)
        /// The proxy accepted the last response; nothing to send.
        case acknowledged(XDSType, version: String)
        /// The proxy rejected the last response; nothing to send. The record says what and why.
        case rejected(XDSType, NackRecord)
        /// A request for a response that has since been superseded; nothing to do.
        case ignoredStaleNonce(XDSType)
        /// A type URL this server does not serve, or a request without one.
        case unsupported(String)
    }

    public private(set) var types: [XDSType: SotWTypeState] = [:]

    public init() {}

    /// Applies one request from the proxy, given as a message.
    public mutating func received(
        _ request: Envoy_Service_Discovery_V3_DiscoveryRequest, at now: ContinuousClock.Instant = .now
    ) -> RequestAction {
        received(SotWRequest(request), at: now)
    }

    /// Applies one request from the proxy.
    public mutating func received(_ request: SotWRequest, at now: ContinuousClock.Instant = .now) -> RequestAction {
        guard let type = XDSType(rawValue: request.typeURL) else { return .unsupported(request.typeURL) }
        var state = types[type] ?? SotWTypeState(wildcard: type.isWildcard)
        defer { types[type] = state }
        // Every ACK repeats the subscription (thousands of EDS names): it is compared by the digest the request
        // reader took of the names' bytes, and the names become Strings and a `Set` only when the list differs from
        // the one last requested.
        let digest = request.namesDigest

        // A first request for this type on this stream (or after a reconnect): subscribe and answer.
        guard !request.responseNonce.isEmpty else {
            let requested = Set(request.resourceNames)
            state.names = requested
            state.requestedDigest = digest
            state.wildcard = (type.isWildcard && requested.isEmpty) || requested.contains("*")
            return .respond(type)
        }
        guard let sent = state.lastSent, sent.nonce == request.responseNonce else {
            return .ignoredStaleNonce(type)
        }
        if request.hasErrorDetail {
            let nack = NackRecord(
                version: sent.version, nonce: sent.nonce, resourceNames: sent.resourceNames,
                message: request.errorDetail.message, code: request.errorDetail.code, at: now)
            state.rejectedVersion = sent.version
            state.lastNack = nack
            return .rejected(type, nack)
        }
        state.ackedVersion = request.versionInfo
        state.acked = sent
        // A named subscription changes with any request; a wildcard one (Envoy's LDS and CDS) never names any. A
        // proxyless gRPC client names its listeners and clusters, and adds and drops them as its channels and routes
        // change.
        if !state.wildcard, digest != state.requestedDigest {
            state.requestedDigest = digest
            let requested = Set(request.resourceNames)
            guard requested != state.names else { return .acknowledged(type, version: request.versionInfo) }
            state.names = requested
            state.wildcard = requested.contains("*")
            return .respond(type)
        }
        return .acknowledged(type, version: request.versionInfo)
    }

    /// The subscribed names of a named (not wildcard) subscription that `resources` does not have, sorted.
    public func missing(from resources: [XDSResource], for type: XDSType) -> [String] {
        guard let state = types[type], !state.wildcard, !state.names.isEmpty else { return [] }
        var absent = state.names
        for resource in resources { absent.remove(resource.name) }
        return absent.sorted()
    }

    /// Records the names the last response of `type` reported missing.
    public mutating func reportedMissing(_ type: XDSType, _ missing: [MissingResource]) {
        types[type]?.notFound = Dictionary(
            missing.map { ($0.name, $0.reason) }, uniquingKeysWith: { first, _ in first })
    }

    /// The resources of a type the proxy subscribes to, filtered to what it asked for.
    public func filter(_ resources: [XDSResource], for type: XDSType) -> [XDSResource] {
        guard let state = types[type] else { return [] }
        return resources.filter { state.wants($0.name) }
    }

    /// What a response of `type` carries from `set` for this subscription, and its SotW version. When the
    /// subscription keeps every resource of the set (wildcard, or EDS naming every cluster, the usual case), the
    /// set's precomputed version is reused rather than re-sorting and re-hashing thousands of names per stream.
    /// When the set carries a names digest, a subscription found to cover it is remembered, so that later sets with
    /// the same names (an endpoint change: same clusters, new content) are not filtered name by name again.
    public mutating func response(
        from set: ResourceSet, for type: XDSType
    ) -> (resources: [XDSResource], version: String) {
        let resources: [XDSResource]
        if types[type]?.wildcard == true {
            resources = set.resources
        } else if let digest = set.namesDigest, types[type]?.coveredNames == digest {
            resources = set.resources
        } else if let state = types[type], set.resources.allSatisfy({ state.wants($0.name) }) {
            // Everything is wanted: keep the set's own (shared) array, not a per-stream copy of thousands of values.
            resources = set.resources
            if let digest = set.namesDigest { types[type]?.coveredNames = digest }
        } else {
            resources = filter(set.resources, for: type)
        }
        if resources.count == set.resources.count, let version = set.version { return (resources, version) }
        return (resources, XDSResource.setVersion(of: resources))
    }

    /// Replaces the subscribed names of `type` by an equal set from `intern` (given the names and the digest of the
    /// request that set them), so that streams subscribing to the same thousands of names share one set instead of
    /// each keeping its own.
    public mutating func shareNames(for type: XDSType, intern: (Set<String>, Int) -> Set<String>) {
        guard var state = types[type], !state.wildcard, !state.names.isEmpty, let digest = state.requestedDigest else {
            return
        }
        let covered = state.coveredNames
        state.names = intern(state.names, digest)
        state.coveredNames = covered  // the same names: what they covered still holds
        types[type] = state
    }

    /// Whether a push of content `version` is due: the proxy asked for the type, hasn't got this content,
    /// and hasn't rejected it before.
    public func shouldPush(_ type: XDSType, version: String) -> Bool {
        guard let state = types[type] else { return false }
        return state.lastSent?.version != version && state.rejectedVersion != version
    }

    /// Records a response that was written to the stream.
    public mutating func sent(_ type: XDSType, version: String, nonce: String, names: [String], generation: UInt64 = 0)
    {
        types[type, default: SotWTypeState(wildcard: type.isWildcard)].lastSent =
            SentResponse(version: version, nonce: nonce, resourceNames: names, generation: generation)
    }

    /// Records a response that was written to the stream, keeping the (usually shared) array it carried and the one
    /// the proxy holds after it (`holding`: for an EDS or RDS response that carried only what changed, the whole
    /// set; nil when the response carried all of it).
    public mutating func sent(
        _ type: XDSType, version: String, nonce: String, resources: [XDSResource], holding: [XDSResource]? = nil,
        generation: UInt64 = 0
    ) {
        types[type, default: SotWTypeState(wildcard: type.isWildcard)].lastSent =
            SentResponse(
                version: version, nonce: nonce, resources: resources, holding: holding ?? resources,
                generation: generation)
    }

    /// A digest of a request's resource names, in order, as sent. Only compared within this process, so the
    /// standard (per-process seeded, much faster than byte-wise FNV) hasher does.
    /// The digest a request naming `names` carries (`SotWRequest.namesDigest`).
    static func digest(of names: [String]) -> Int { SotWRequest.NamesDigest.of(names) }

    /// The types the proxy has asked for, in push order.
    public var subscribedTypes: [XDSType] { XDSType.pushOrder.filter { types[$0] != nil } }
}
