import ArgumentParser
import Foundation
import MeshdReplay
import NIOCore
import NIOPosix
import Synchronization

/// The physical floor under the replay floor: the recorded response bytes of every proxy sent over plain TCP on
/// 127.0.0.1, with no HTTP/2 or gRPC framing, to the same number of connections.
///
/// Proxy `i` of the recording (its node ids sorted) is connection `i`: it writes its index as a line, and the server
/// writes back that node's four responses (CDS, EDS, LDS, RDS), back to back, as stored. The figure is the time from
/// the first connection until the last connection has read all its bytes.
struct RawFloorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raw-floor",
        abstract: "Send a replay recording's bytes over plain TCP to N connections and time it (the raw floor).")

    @Option(help: "A recording made by `run --record`.")
    var recording: String

    @Option(help: "Connections (the recording's proxies are used in turn).")
    var proxies = 2000

    @Option(help: "Seconds to wait for every connection to finish.")
    var timeout = 300.0

    @Flag(help: "Print the report as JSON.")
    var json = false

    struct Report: Codable {
        var proxies: Int
        var finished: Int
        var syncSeconds: Double?
        var bytes: Int
        var serverCPUSeconds: Double?
    }

    func run() async throws {
        let recorded = try ReplayRecording.read(from: URL(fileURLWithPath: recording))
        let nodes = recorded.index.keys.sorted()
        guard !nodes.isEmpty else { throw ValidationError("\(recording): the recording holds no proxy") }
        let expected = (0..<proxies).map { RawFloor.bytes(for: nodes[$0 % nodes.count], in: recorded).count }
        _ = FileLimit.raiseToHard()

        guard let port = AdminHTTP.freePort() else { throw LoadError("no free port on 127.0.0.1") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-load-raw-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let server = try SpawnedServer(
            executable: RunCommand.ownExecutable(),
            arguments: ["raw-server", "--recording", recording, "--port", "\(port)"],
            logPath: scratch.appendingPathComponent("raw.log").path)
        defer { server.stop() }
        try await server.waitUntil("raw server listening", timeout: .seconds(60)) {
            (try? String(contentsOfFile: server.logPath, encoding: .utf8))?.contains("listening") == true
        }
        let before = ProcessStats.read(pid: server.pid)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let done = Mutex((finished: 0, last: ContinuousClock.Instant?.none))
        let start = ContinuousClock.now
        var channels: [any Channel] = []
        for index in 0..<proxies {
            let total = expected[index]
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(30))
                .channelInitializer { channel in
                    channel.pipeline.addHandler(
                        RawFloor.Reader(index: index, expected: total) {
                            let now = ContinuousClock.now
                            done.withLock { $0 = ($0.finished + 1, now) }
                        })
                }
                .connect(host: "127.0.0.1", port: port).get()
            channels.append(channel)
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline, done.withLock({ $0.finished }) < proxies {
            try await Task.sleep(for: .milliseconds(10))
        }
        let after = ProcessStats.read(pid: server.pid)
        let (finished, last) = done.withLock { ($0.finished, $0.last) }
        for channel in channels { channel.close(promise: nil) }
        try await group.shutdownGracefully()
        let report = Report(
            proxies: proxies, finished: finished,
            syncSeconds: finished == proxies ? last.map { LoadScenario.seconds($0 - start) } : nil,
            bytes: expected.reduce(0, +),
            serverCPUSeconds: both(before, after).map { $1.cpuSeconds - $0.cpuSeconds })
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(
                "raw floor: \(finished)/\(proxies) connections read \(report.bytes) bytes in \(report.syncSeconds.map { String(format: "%.2f s", $0) } ?? "not reached")"
            )
        }
    }
}

/// `meshd-load raw-server`: the server side of the raw floor (spawned by `raw-floor`).
struct RawServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raw-server", abstract: "Serve a recording's bytes over plain TCP (for raw-floor).")

    @Option(help: "A recording made by `run --record`.")
    var recording: String

    @Option(help: "Port on 127.0.0.1.")
    var port: Int

    func run() async throws {
        let recorded = try ReplayRecording.read(from: URL(fileURLWithPath: recording))
        let nodes = recorded.index.keys.sorted()
        // Each distinct content once: connections of proxies with the same responses share the buffer.
        var buffers: [ByteBuffer] = []
        var byContent: [[UInt8]: Int] = [:]
        var bufferOfNode: [Int] = []
        for node in nodes {
            let bytes = RawFloor.bytes(for: node, in: recorded)
            if let existing = byContent[bytes] {
                bufferOfNode.append(existing)
            } else {
                byContent[bytes] = buffers.count
                bufferOfNode.append(buffers.count)
                buffers.append(ByteBuffer(bytes: bytes))
            }
        }
        let shared = buffers
        let table = bufferOfNode
        _ = FileLimit.raiseToHard()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(
                    RawFloor.Writer { index in shared[table[index % table.count]] })
            }
            .bind(host: "127.0.0.1", port: port).get()
        // Unbuffered: the log is a file, and raw-floor waits for this line.
        FileHandle.standardOutput.write(Data("raw server listening on 127.0.0.1:\(port)\n".utf8))
        try await channel.closeFuture.get()
    }
}

enum RawFloor {
    /// A node's four responses as recorded (serialised `DiscoveryResponse`s without nonces), in push order.
    static func bytes(for node: String, in recording: ReplayRecording) -> [UInt8] {
        let order = [XDSKind.cluster, .endpoint, .listener, .route].map(\.typeURL)
        let types = recording.index[node] ?? [:]
        return order.flatMap { type in types[type].flatMap { recording.blobs[$0] } ?? [] }
    }

    /// Server side: reads the connection's index line, then writes that node's bytes.
    final class Writer: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var line = ""
        private var answered = false
        private let bytes: (Int) -> ByteBuffer

        init(bytes: @escaping (Int) -> ByteBuffer) { self.bytes = bytes }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answered else { return }
            var buffer = unwrapInboundIn(data)
            line += buffer.readString(length: buffer.readableBytes) ?? ""
            guard line.contains("\n") else {
                if line.utf8.count > 16 { context.close(promise: nil) }
                return
            }
            answered = true
            guard let index = Int(line.prefix { $0 != "\n" }), index >= 0 else {
                context.close(promise: nil)
                return
            }
            context.writeAndFlush(wrapOutboundOut(bytes(index)), promise: nil)
        }
    }

    /// Client side: sends its index, counts the bytes that arrive, and reports once it has them all.
    final class Reader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let index: Int
        private let expected: Int
        private var received = 0
        private let finished: () -> Void

        init(index: Int, expected: Int, finished: @escaping () -> Void) {
            self.index = index
            self.expected = expected
            self.finished = finished
        }

        func channelActive(context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "\(index)\n")), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let before = received
            received += unwrapInboundIn(data).readableBytes
            if before < expected, received >= expected { finished() }
        }
    }
}
