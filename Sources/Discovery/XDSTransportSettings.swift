public import GRPCTransportTuning

/// How the xDS listeners treat connections and streams: keepalive (to notice a proxy that vanished without closing
/// its connection), the HTTP/2 concurrent-stream limit they advertise, and the connection gate shared by every
/// listener. `meshd serve` sets them from flags; see Docs/operations.md.
public struct XDSTransportSettings: Sendable {
    /// How long a connection may be quiet before the server pings it (Istio's `keepalive.time`, 30 s).
    public var keepaliveTime: Duration
    /// How long a ping may go unanswered before the connection is closed and its streams forgotten (10 s).
    public var keepaliveTimeout: Duration
    /// The `SETTINGS_MAX_CONCURRENT_STREAMS` advertised to every client, and enforced.
    public var maxConcurrentStreams: Int
    /// Bounds the number of connections, and of unauthenticated ones; nil bounds nothing.
    public var gate: ConnectionGate?

    public static let defaultMaxConcurrentStreams = 1_000

    public init(
        keepaliveTime: Duration = .seconds(30), keepaliveTimeout: Duration = .seconds(10),
        maxConcurrentStreams: Int = Self.defaultMaxConcurrentStreams, gate: ConnectionGate? = nil
    ) {
        self.keepaliveTime = keepaliveTime
        self.keepaliveTimeout = keepaliveTimeout
        self.maxConcurrentStreams = max(1, maxConcurrentStreams)
        self.gate = gate
    }
}
