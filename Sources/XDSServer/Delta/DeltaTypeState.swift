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
    /// The last whole set the proxy was made to hold exactly (the provider's shared array, not a copy): where config
    /// dumps find the content of what `known` names. `known` says which of it the proxy still holds.
    public internal(set) var heldResources: [XDSResource]?
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

    /// What the proxy holds, name to version, as far as it was sent (`known`, without names it was told are absent).
    public var heldVersions: [String: String] { known.filter { $0.value != Self.absent } }

    /// What the proxy has accepted, name to version: what it holds with every response it has not answered yet
    /// undone, newest first. Worked out when asked (for config dumps), so the stream keeps nothing more.
    public var ackedVersions: [String: String] {
        var acked = known
        let unanswered = outstanding.values.sorted {
            ($0.response.at, Self.sequence($0.response.nonce)) > ($1.response.at, Self.sequence($1.response.nonce))
        }
        for sent in unanswered {
            for name in sent.updated.map(\.name) + sent.removed { acked[name] = sent.previous[name] }
        }
        return acked.filter { $0.value != Self.absent }
    }

    /// The resources the stream last sent or made the proxy hold (unanswered responses first, then the last
    /// response, then the last whole set), by name: the content behind `heldVersions` and `ackedVersions`, where
    /// the stream still has it.
    public var sentResources: [String: [XDSResource]] {
        var found: [String: [XDSResource]] = [:]
        let arrays = outstanding.values.map(\.updated) + [status.lastSent?.resources ?? [], heldResources ?? []]
        for resources in arrays {
            for resource in resources where !(found[resource.name]?.contains(resource) ?? false) {
                found[resource.name, default: []].append(resource)
            }
        }
        return found
    }

    /// The counter of a nonce `NonceSource` made (`<connection>-<counter>`), to order responses sent at one instant.
    private static func sequence(_ nonce: String) -> UInt64 {
        nonce.split(separator: "-").last.flatMap { UInt64($0) } ?? 0
    }
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
