import NIOCore
import NIOHTTP2

/// Lets grpc-swift's message deframer drop its buffer once a whole message has been read.
///
/// The transport's deframer (grpc-swift-nio-transport 2.9) accumulates a message's DATA frames into one buffer and,
/// after decoding, keeps that buffer, empty but with its storage, until the stream's next DATA frame replaces it.
/// An idle ADS stream gets no next frame: every stream keeps its largest recent message alive. For meshd that is
/// each sidecar's last EDS ACK (SotW repeats all ~5,000 cluster names: 300–500 KB per stream, 1 GB at 2,000
/// proxies); for a client, its last response. This handler, first in each HTTP/2 stream's pipeline, follows the
/// gRPC length-prefixed framing of the inbound DATA frames and, after a frame that ends exactly at a message
/// boundary, passes on one empty DATA frame: the deframer then swaps its buffer for the empty one and the storage
/// is freed. Nothing else changes (flow control is accounted before this handler; an empty frame carries no
/// message). Not thread-safe: one per stream channel, on its event loop.
final class DeframerBufferRelease: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    /// How much of the current message's 5-byte prefix (flag, 32-bit length) has been seen.
    private var prefixSeen = 0
    private var length: UInt32 = 0
    /// Bytes of the current message's body still to come.
    private var bodyRemaining = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .data(let frame) = unwrapInboundIn(data), case .byteBuffer(let buffer) = frame.data, !frame.endStream
        else {
            context.fireChannelRead(data)
            return
        }
        let completed = advance(over: buffer)
        context.fireChannelRead(data)
        if completed, prefixSeen == 0, bodyRemaining == 0 {
            context.fireChannelRead(
                wrapInboundOut(.data(HTTP2Frame.FramePayload.Data(data: .byteBuffer(ByteBuffer())))))
        }
    }

    /// Follows the framing over `buffer`; true when at least one message ended in it.
    private func advance(over buffer: ByteBuffer) -> Bool {
        var completed = false
        let bytes = buffer.readableBytesView
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bodyRemaining > 0 {
                let step = min(bodyRemaining, bytes.endIndex - index)
                bodyRemaining -= step
                index += step
                if bodyRemaining == 0 { completed = true }
                continue
            }
            if prefixSeen > 0 { length = length << 8 | UInt32(bytes[index]) }  // byte 0 is the compression flag
            prefixSeen += 1
            index += 1
            if prefixSeen == 5 {
                bodyRemaining = Int(length)
                prefixSeen = 0
                length = 0
                if bodyRemaining == 0 { completed = true }
            }
        }
        return completed
    }
}
