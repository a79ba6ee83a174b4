import NIOCore
import NIOEmbedded
import Testing

@testable import GRPCTransportTuning

@Suite("Connection gate")
struct ConnectionGateTests {
    @Test("bounds open and unauthenticated connections, closes the unauthenticated at the deadline, keeps the admitted")
    func limitsAndDeadline() throws {
        let gate = ConnectionGate(
            limits: .init(maxConnections: 3, maxUnauthenticated: 2, authenticationDeadline: .seconds(5)))
        let loop = EmbeddedEventLoop()
        func connect(_ port: Int) throws -> EmbeddedChannel {
            let channel = EmbeddedChannel(loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: port)).wait()
            gate.accept(channel)
            loop.run()
            return channel
        }
        let admitted = try connect(1001)
        let idle = try connect(1002)
        let third = try connect(1003)
        #expect(!third.isActive, "a third unauthenticated connection is over the limit of 2")
        gate.authenticated(remotePeer: "ipv4:127.0.0.1:1001")
        #expect(gate.usage.unauthenticated == 1)
        let fourth = try connect(1004)
        #expect(fourth.isActive, "room again once one authenticated")
        let fifth = try connect(1005)
        #expect(!fifth.isActive, "three connections are open: the total limit")
        loop.advanceTime(by: .seconds(6))
        #expect(admitted.isActive, "an authenticated connection has no deadline")
        #expect(!idle.isActive && !fourth.isActive, "the unauthenticated ones are closed at the deadline")
        #expect(gate.usage.refused == [.unauthenticatedLimit: 1, .connectionLimit: 1, .authenticationDeadline: 2])
        #expect(gate.usage.open == 1 && gate.usage.unauthenticated == 0)
        _ = try? admitted.finish()
        loop.run()
        #expect(gate.usage.open == 0)
    }
}
