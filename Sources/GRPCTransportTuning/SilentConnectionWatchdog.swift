public import GRPCNIOTransportHTTP2
import NIOCore

/// Closes a connection from which nothing at all has been read for `limit`.
///
/// grpc-swift's server keepalive pings a quiet connection, but when the ping goes unanswered it starts a *graceful*
/// shutdown, which waits for the peer to acknowledge a second ping: a peer that is frozen, or whose host lost its
/// network while the kernel on this side still holds the socket, never does, and its streams live forever. Since
/// the server pings after `keepaliveTime` without reads, a live peer always sends something within
/// `keepaliveTime + keepaliveTimeout`; this handler closes the connection when it has not, and the streams on it then
/// end like any other.
final class SilentConnectionWatchdog: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let limit: TimeAmount
    private var lastRead: NIODeadline = .now()
    private var check: RepeatedTask?

    init(limit: TimeAmount) {
        self.limit = limit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        lastRead = .now()
        let interval = TimeAmount.nanoseconds(max(limit.nanoseconds / 4, TimeAmount.milliseconds(100).nanoseconds))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (watchdog, context) = loopBound.value
            guard NIODeadline.now() - watchdog.lastRead > watchdog.limit else { return }
            watchdog.check?.cancel()
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }
}

extension GRPCTransportTuning {
    /// For a server: every accepted connection is closed once nothing has been read from it for `limit` (see
    /// `SilentConnectionWatchdog`); use the keepalive time plus the keepalive timeout.
    public static func closeSilentConnections(
        _ callbacks: inout HTTP2ServerTransport.Config.ChannelDebuggingCallbacks, after limit: Duration
    ) {
        let previous = callbacks.onAcceptTCPConnection
        let amount = TimeAmount(limit)
        callbacks.onAcceptTCPConnection = { channel in
            let added = channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    SilentConnectionWatchdog(limit: amount), position: .first)
            }
            guard let previous else { return added }
            return added.flatMap { previous(channel) }
        }
    }
}
