/// What one connected proxy was sent and what it accepted or rejected, per type.
public struct ProxySyncStatus: Sendable, Hashable {
    public var connectionID: UInt64
    /// The provider's description of the proxy, usually its node id.
    public var proxy: String
    public var connectedAt: ContinuousClock.Instant
    public var types: [XDSType: SotWTypeState]
}
