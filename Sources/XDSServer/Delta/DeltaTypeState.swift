/// A Delta response the proxy has not answered yet, with what to restore if it rejects it.
struct DeltaSent: Sendable, Hashable {
    var response: SentResponse
    /// The resources the response carried (often the provider's whole cached array, so shared).
    var updated: [XDSResource]
    var removed: [String]
    /// What the proxy held before of those names it held anything of (a name missing here held nothing).
    var previous: [String: String]
}

/// The Delta protocol state of one type URL on one stream: the subscription, what the proxy holds, and the
/// SotW-shaped status (`SotWTypeState`) that `/debug/syncz` and proxy-status read.
public struct DeltaTypeState: Sendable, Hashable {
    /// The proxy subscribes to every resource of the type.
    public internal(set) var wildcard: Bool
    /// Names subscribed to explicitly.
    public internal(set) var names: Set<String> = []
    /// What the proxy holds, name to version, as far as the server knows (responses count as held until
    /// rejected). `Self.absent` marks a subscribed name the proxy was told does not exist.
    public internal(set) var known: [String: String] = [:]
    /// Content the proxy rejected, name to version: never sent again on this stream.
    public internal(set) var rejected: [String: String] = [:]
    /// Sent, last accepted, last rejected: the same shape as a SotW stream's, for status pages.
    public internal(set) var status: SotWTypeState
    /// Whether any response for this type was sent on this stream.
    public internal(set) var responded = false
    /// The SotW version of the set the proxy holds exactly: `known` is that set's names and versions, the
    /// subscription names exactly that set (or is wildcard), and nothing is rejected. Nil when not so.
    public internal(set) var heldSet: String?
    var outstanding: [String: DeltaSent] = [:]

    static let absent = ""
    /// Unanswered responses kept per type; older ones are forgotten (their ACK then counts as stale).
    static let outstandingLimit = 32

    init(wildcard: Bool) {
        self.wildcard = wildcard
        self.status = SotWTypeState(wildcard: wildcard)
    }

    /// True when `name` is part of what the proxy asked for.
    func wants(_ name: String) -> Bool { wildcard || names.contains(name) }
}

/// What one response for a type must carry: resources whose content the proxy lacks, and names it must drop.
public struct DeltaDiff: Sendable, Hashable {
    public var updated: [XDSResource]
    public var removed: [String]
    /// `XDSResource.setVersion` of everything the proxy should hold of this type after the response.
    public var version: String

    /// The subscription wanted every resource of the set the difference was taken against.
    public var wholeSet = false

    public init(updated: [XDSResource], removed: [String], version: String, wholeSet: Bool = false) {
        self.updated = updated
        self.removed = removed
        self.version = version
        self.wholeSet = wholeSet
    }

    public var isEmpty: Bool { updated.isEmpty && removed.isEmpty }
}
