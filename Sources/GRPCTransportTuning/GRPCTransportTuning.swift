public import GRPCNIOTransportHTTP2
import NIOCore

/// Settings for grpc-swift's HTTP/2 transports for thousands of long-lived ADS streams: they sit idle between
/// pushes, so what each keeps is multiplied by all of them, and they reconnect all at once.
public enum GRPCTransportTuning {
    /// For a server: on every accepted stream.
    public static func releaseAfterEachMessage(_ callbacks: inout HTTP2ServerTransport.Config.ChannelDebuggingCallbacks)
    {
        let previous = callbacks.onAcceptHTTP2Stream
        callbacks.onAcceptHTTP2Stream = { channel in install(on: channel, then: previous) }
    }

    /// For a client: on every stream it opens.
    public static func releaseAfterEachMessage(_ callbacks: inout HTTP2ClientTransport.Config.ChannelDebuggingCallbacks)
    {
        let previous = callbacks.onCreateHTTP2Stream
        callbacks.onCreateHTTP2Stream = { channel in install(on: channel, then: previous) }
    }

    /// For a server: accepted connections read into buffers of at most `maximum` bytes, and keep one in their pool.
    ///
    /// NIO's defaults (adaptive reads growing to 64 KB, a pool of 4 per connection) are made for throughput; an ADS
    /// connection reads little after its sync but keeps its grown buffers, and NIOHTTP2's frame decoder keeps a slice
    /// of the last one: about 130 KB per idle connection, 250 MB at 2,000 sidecars.
    public static func smallReadBuffers(
        _ callbacks: inout HTTP2ServerTransport.Config.ChannelDebuggingCallbacks, maximum: Int = 16_384
    ) {
        let previous = callbacks.onAcceptTCPConnection
        callbacks.onAcceptTCPConnection = { channel in limitReads(of: channel, maximum: maximum, then: previous) }
    }

    /// For a client: the same, on each connection it makes.
    public static func smallReadBuffers(
        _ callbacks: inout HTTP2ClientTransport.Config.ChannelDebuggingCallbacks, maximum: Int = 16_384
    ) {
        let previous = callbacks.onCreateTCPConnection
        callbacks.onCreateTCPConnection = { channel in limitReads(of: channel, maximum: maximum, then: previous) }
    }

    /// For a server: a listen backlog of `backlog` connections (NIO's default is 128), so that thousands of
    /// sidecars reconnecting at once queue in the kernel instead of timing out and retrying (the kernel caps it at
    /// `net.core.somaxconn`).
    public static func listenBacklog(
        _ callbacks: inout HTTP2ServerTransport.Config.ChannelDebuggingCallbacks, _ backlog: Int32 = 4_096
    ) {
        let previous = callbacks.onBindTCPListener
        callbacks.onBindTCPListener = { channel in
            let set = channel.setOption(ChannelOptions.backlog, value: backlog)
            guard let previous else { return set }
            return set.flatMap { previous(channel) }
        }
    }

    private static func limitReads(
        of channel: any Channel, maximum: Int, then previous: (@Sendable (any Channel) -> EventLoopFuture<Void>)?
    ) -> EventLoopFuture<Void> {
        let allocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: min(2_048, maximum), maximum: maximum)
        let limited = channel.setOption(ChannelOptions.recvAllocator, value: allocator)
            .flatMap { channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1) }
        guard let previous else { return limited }
        return limited.flatMap { previous(channel) }
    }

    private static func install(
        on channel: any Channel, then previous: (@Sendable (any Channel) -> EventLoopFuture<Void>)?
    ) -> EventLoopFuture<Void> {
        let added = channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(DeframerBufferRelease(), position: .first)
        }
        guard let previous else { return added }
        return added.flatMap { previous(channel) }
    }
}
