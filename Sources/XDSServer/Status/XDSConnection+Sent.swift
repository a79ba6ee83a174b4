/// What one connection was sent and accepted of one type, in the same shape for both protocols: what config dumps
/// and diffs read instead of generating anew. Built from the stream's recorded state when asked.
public struct SentTypeState: Sendable {
    public var type: XDSType
    /// The proxy subscribes to every resource of the type (else to `names`).
    public var wildcard: Bool
    public var names: Set<String>
    /// The last response sent: its version, nonce, generation and the resources it carried.
    public var lastSent: SentResponse?
    /// The last response the proxy accepted.
    public var acked: SentResponse?
    /// The version the proxy's last ACK carried.
    public var ackedVersion: String?
    public var rejectedVersion: String?
    public var lastNack: NackRecord?
    /// What the proxy holds of the type as far as it was sent, name to version.
    public var heldVersions: [String: String]
    /// What the proxy accepted, name to version: for SotW the set of the response it last ACKed; for Delta each
    /// resource's own version.
    public var ackedVersions: [String: String]
    /// The content behind `heldVersions`, sorted by name, for every resource the stream still has at that version
    /// (SotW: all of them).
    public var heldResources: [XDSResource]

    /// True when `name` is part of what the proxy asked for.
    public func wants(_ name: String) -> Bool { wildcard || names.contains(name) }
}

extension XDSConnection {
    /// What this connection was sent and accepted of `type`; nil when the proxy never asked for it.
    public func sent(_ type: XDSType) -> SentTypeState? {
        guard let status = types[type] else { return nil }
        var state = SentTypeState(
            type: type, wildcard: status.wildcard, names: status.names, lastSent: status.lastSent, acked: status.acked,
            ackedVersion: status.ackedVersion, rejectedVersion: status.rejectedVersion, lastNack: status.lastNack,
            heldVersions: [:], ackedVersions: [:], heldResources: [])
        if let delta = delta[type] {
            state.heldVersions = delta.heldVersions
            state.ackedVersions = delta.ackedVersions
            let content = delta.sentResources
            state.heldResources = state.heldVersions.keys.sorted().compactMap { name in
                content[name]?.first { $0.version == state.heldVersions[name] }
            }
        } else {
            let held = status.lastSent?.heldResources ?? []
            state.heldResources = held.sorted { $0.name < $1.name }
            state.heldVersions = Self.versions(of: held)
            state.ackedVersions = Self.versions(of: status.acked?.heldResources ?? [])
        }
        return state
    }

    private static func versions(of resources: [XDSResource]) -> [String: String] {
        Dictionary(resources.map { ($0.name, $0.version) }, uniquingKeysWith: { first, _ in first })
    }
}
