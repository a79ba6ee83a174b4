/// Something that happened on an xDS stream, for metrics, status pages and change tracking.
public enum XDSEvent: Sendable {
    /// Why a response was sent.
    public enum Trigger: String, Sendable {
        /// The proxy asked (first request for a type, or a new subscription).
        case request
        /// The server pushed new content.
        case push
    }

    case connected(proxy: String, connection: UInt64)
    case disconnected(proxy: String, connection: UInt64)
    /// A push was considered for a proxy; `sent` lists the types that had new content (possibly none).
    case pushEvaluated(proxy: String, connection: UInt64, generation: UInt64, sent: [XDSType])
    case sent(
        proxy: String, connection: UInt64, type: XDSType, response: SentResponse, trigger: Trigger, bytes: Int,
        duration: Duration)
    case acknowledged(proxy: String, connection: UInt64, type: XDSType, response: SentResponse)
    case rejected(proxy: String, connection: UInt64, type: XDSType, nack: NackRecord, generation: UInt64)
    /// A stream's proxy was refused admission; `reason` is an `AdmissionError.Reason` raw value.
    case refused(node: String, peer: String, reason: String)
}

/// Receives every `XDSEvent`. Called from stream tasks concurrently; must be thread-safe and quick.
public protocol XDSEventObserver: Sendable {
    func observe(_ event: XDSEvent)
}

/// Ignores every event.
public struct NoXDSEventObserver: XDSEventObserver {
    public init() {}
    public func observe(_ event: XDSEvent) {}
}
