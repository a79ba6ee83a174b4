import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing

@testable import GRPCTransportTuning

/// The handler that lets grpc-swift's deframer free its buffer: it must pass every frame through untouched and
/// add one empty DATA frame exactly when a frame ends on a message boundary.
@Suite("gRPC stream buffers")
struct DeframerBufferReleaseTests {
    /// A gRPC length-prefixed message with `count` body bytes.
    func message(_ count: Int) -> [UInt8] {
        [0, UInt8(count >> 24 & 0xff), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
            + [UInt8](repeating: 7, count: count)
    }

    func frame(_ bytes: some Sequence<UInt8>, endStream: Bool = false) -> HTTP2Frame.FramePayload {
        .data(.init(data: .byteBuffer(ByteBuffer(bytes: Array(bytes))), endStream: endStream))
    }

    /// Sizes of the DATA frames read out of the channel, in order (-1 for anything else).
    func readSizes(_ channel: EmbeddedChannel) throws -> [Int] {
        var sizes: [Int] = []
        while let payload = try channel.readInbound(as: HTTP2Frame.FramePayload.self) {
            if case .data(let data) = payload, case .byteBuffer(let buffer) = data.data {
                sizes.append(buffer.readableBytes)
            } else {
                sizes.append(-1)
            }
        }
        return sizes
    }

    @Test func anEmptyFrameFollowsEachFrameThatEndsOnAMessageBoundary() throws {
        let channel = EmbeddedChannel(handler: DeframerBufferRelease())
        let big = message(40_000)  // split over three frames, the prefix itself split too
        try channel.writeInbound(frame(big[0..<3]))
        try channel.writeInbound(frame(big[3..<20_000]))
        #expect(try readSizes(channel) == [3, 19_997], "mid-message: frames pass untouched, nothing added")
        try channel.writeInbound(frame(big[20_000...]))
        #expect(try readSizes(channel) == [20_005, 0], "the message ended: one empty frame follows")

        // Two whole messages and the start of a third in one frame: no boundary at its end, so nothing is added.
        let two = message(10) + message(0) + message(8)[0..<4]
        try channel.writeInbound(frame(two))
        #expect(try readSizes(channel) == [two.count])
        try channel.writeInbound(frame(message(8)[4...]))
        #expect(try readSizes(channel) == [9, 0])

        // Headers and the frame that ends the stream pass as they are.
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: HPACKHeaders([("a", "b")]))))
        try channel.writeInbound(frame(message(3), endStream: true))
        #expect(try readSizes(channel) == [-1, 8])
        _ = try channel.finish()
    }
}
