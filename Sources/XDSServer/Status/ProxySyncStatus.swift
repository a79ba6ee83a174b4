/// What one connected proxy was sent and what it accepted or rejected, per type.
public struct ProxySyncStatus: Sendable, Hashable {
    public var connectionID: UInt64
    /// The provider's description of the proxy, usually its node id.
    public var proxy: String
    public var connectedAt: ContinuousClock.Instant
    public var types: [XDSType: SotWTypeState]
    /// For a Delta stream, per type, what the proxy has accepted, name to each resource's own version (the version
    /// Envoy shows for it); empty for SotW, where the whole set has the one `ackedVersion`.
    public var deltaAckedResources: [XDSType: [String: String]] = [:]
}
