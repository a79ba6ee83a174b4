public import GRPCCore

/// What the transport knows about the other end of a stream, for authentication by the provider.
public struct PeerInfo: Sendable {
    /// The transport's description of the remote address (e.g. `ipv4:127.0.0.1:53412`).
    public var remotePeer: String
    /// The request metadata (gRPC headers) the proxy sent when it opened the stream.
    public var metadata: Metadata
    /// Transport-specific details, such as a verified TLS client certificate; nil on plaintext transports
    /// that offer none.
    public var transportSpecific: (any ServerContext.TransportSpecific)?

    public init(
        remotePeer: String, metadata: Metadata = [:], transportSpecific: (any ServerContext.TransportSpecific)? = nil
    ) {
        self.remotePeer = remotePeer
        self.metadata = metadata
        self.transportSpecific = transportSpecific
    }
}
