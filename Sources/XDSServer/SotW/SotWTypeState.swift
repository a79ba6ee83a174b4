/// A response the server sent on a stream and has not yet seen superseded.
public struct SentResponse: Sendable, Hashable {
    public var version: String
    public var nonce: String
    /// The names of what the response carried (and, for Delta, removed).
    public var resourceNames: [String] { names.list }
    /// How many resources the response carried (and, for Delta, removed), without listing their names.
    public var resourceCount: Int { names.count }
    /// The provider generation the content was made from.
    public var generation: UInt64 = 0
    public var at: ContinuousClock.Instant = .now
    private var names: SentNames
    /// Everything of the type the proxy holds once it applies this response (SotW): `resources`, unless an EDS or
    /// RDS response carried only what changed, then the whole set. Nil when not known (Delta: see
    /// `DeltaTypeState.known`). Shared arrays, like `resources`.
    public private(set) var heldResources: [XDSResource]?

    public init(
        version: String, nonce: String, resourceNames: [String], generation: UInt64 = 0,
        at: ContinuousClock.Instant = .now
    ) {
        self.init(version: version, nonce: nonce, names: .strings(resourceNames), generation: generation, at: at)
    }

    /// A response that carried `resources`, after which the proxy holds `holding` (nil: not known). Keeps the arrays
    /// themselves, usually the provider's cached ones and so shared with every other stream, rather than a list of
    /// thousands of names per stream.
    public init(
        version: String, nonce: String, resources: [XDSResource], holding: [XDSResource]? = nil, generation: UInt64 = 0,
        at: ContinuousClock.Instant = .now
    ) {
        self.init(version: version, nonce: nonce, names: .resources(resources), generation: generation, at: at)
        heldResources = holding
    }

    private init(version: String, nonce: String, names: SentNames, generation: UInt64, at: ContinuousClock.Instant) {
        self.version = version
        self.nonce = nonce
        self.names = names
        self.generation = generation
        self.at = at
    }

    /// The resources the response carried, when it was recorded with them (every response `ADSServer` sends is).
    public var resources: [XDSResource]? {
        if case .resources(let resources) = names { return resources }
        return nil
    }

    public static func == (lhs: SentResponse, rhs: SentResponse) -> Bool {
        lhs.version == rhs.version && lhs.nonce == rhs.nonce && lhs.generation == rhs.generation && lhs.at == rhs.at
            && lhs.resourceNames == rhs.resourceNames
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(version)
        hasher.combine(nonce)
        hasher.combine(generation)
    }

    private enum SentNames: Sendable {
        case strings([String])
        case resources([XDSResource])

        var list: [String] {
            switch self {
            case .strings(let names): names
            case .resources(let resources): resources.map(\.name)
            }
        }

        var count: Int {
            switch self {
            case .strings(let names): names.count
            case .resources(let resources): resources.count
            }
        }
    }
}

/// A rejection by the proxy: which response, which resources, and what Envoy said.
public struct NackRecord: Sendable, Hashable {
    public var version: String
    public var nonce: String
    public var resourceNames: [String]
    public var message: String
    public var code: Int32
    public var at: ContinuousClock.Instant

    /// How much of a NACK's `error_detail` is kept (in sync status, `/debug/nacks` and change tracking): Envoy's own
    /// reasons are a few hundred bytes, and a proxy may send up to the request size limit on every NACK.
    public static let storedMessageBytes = 64 * 1024

    /// Keeps at most `storedMessageBytes` of `message`.
    public init(
        version: String, nonce: String, resourceNames: [String], message: String, code: Int32,
        at: ContinuousClock.Instant
    ) {
        self.version = version
        self.nonce = nonce
        self.resourceNames = resourceNames
        self.message = message.truncated(toUTF8Bytes: Self.storedMessageBytes)
        self.code = code
        self.at = at
    }
}

/// The protocol state of one type URL on one SotW stream.
public struct SotWTypeState: Sendable, Hashable {
    /// Names subscribed to (RDS, EDS, SDS). Ignored when `wildcard`.
    public var names: Set<String> = [] {
        didSet { coveredNames = nil }
    }
    /// `XDSResource.namesDigest` of a resource set found to be wholly subscribed by `names`: a later set with the
    /// same names needs no filtering. Forgotten whenever `names` is assigned.
    public var coveredNames: UInt64?
    /// The digest of the resource names of the last request that set `names` (`SotWRequest.namesDigest`): an
    /// ACK repeating the same list leaves the subscription as it is without rebuilding it.
    public var requestedDigest: Int?
    public var wildcard: Bool
    public var lastSent: SentResponse?
    /// The version the proxy last accepted.
    public var ackedVersion: String?
    /// The response the proxy last accepted (the same values as the `lastSent` it was, so shared, not copied).
    public var acked: SentResponse?
    /// Content the proxy rejected: never sent again on this stream.
    public var rejectedVersion: String?
    public var lastNack: NackRecord?
    /// The subscribed names the last response reported missing (`resource_errors`), with why; empty for clients that
    /// are not told (Envoy).
    public var notFound: [String: String] = [:]

    init(wildcard: Bool) {
        self.wildcard = wildcard
    }

    /// True when `name` is part of what the proxy asked for.
    func wants(_ name: String) -> Bool { wildcard || names.contains(name) }
}
