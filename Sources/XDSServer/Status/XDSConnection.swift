/// The ADS protocol a stream speaks.
public enum XDSStreamProtocol: String, Sendable, Hashable {
    /// State of the World: `StreamAggregatedResources`.
    case sotw
    /// Incremental: `DeltaAggregatedResources`.
    case delta
}

/// One admitted connection, as `ConnectionRegistry` records it: who the proxy is, and what the stream last sent it
/// and what it accepted or rejected, per type. A copy: the resources in it are the stream's own shared values.
public struct XDSConnection<Client: Sendable>: Sendable {
    public let id: UInt64
    /// What the provider admitted.
    public let client: Client
    /// The provider's description of the proxy, usually its node id.
    public let proxy: String
    /// The transport's description of the remote address (e.g. `ipv4:127.0.0.1:53412`).
    public let remotePeer: String
    public let connectedAt: ContinuousClock.Instant
    public let streamProtocol: XDSStreamProtocol
    /// Per type, in the SotW shape for both protocols (for Delta, `DeltaStream.status`): the subscription, the last
    /// response sent (`lastSent`, with the resources it carried), the last one accepted (`acked`), the last NACK.
    public internal(set) var types: [XDSType: SotWTypeState] = [:]
    /// A Delta stream's own state per type (what the proxy holds, name to version, and the responses it has not
    /// answered); empty for SotW.
    public internal(set) var delta: [XDSType: DeltaTypeState] = [:]
    /// Whether the stream has recorded its state at least once (after answering its first request).
    public internal(set) var published = false

    init(
        id: UInt64, client: Client, proxy: String, remotePeer: String, connectedAt: ContinuousClock.Instant,
        streamProtocol: XDSStreamProtocol
    ) {
        self.id = id
        self.client = client
        self.proxy = proxy
        self.remotePeer = remotePeer
        self.connectedAt = connectedAt
        self.streamProtocol = streamProtocol
    }

    /// The sync status in the shape `/debug/syncz` reads.
    public var syncStatus: ProxySyncStatus {
        ProxySyncStatus(
            connectionID: id, proxy: proxy, connectedAt: connectedAt, types: types,
            deltaAckedResources: delta.mapValues(\.ackedVersions))
    }
}
