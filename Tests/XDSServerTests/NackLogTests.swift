import EnvoyAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization
import Testing
import XDSClient

@testable import XDSServer

/// Keeps every log record in memory, for tests that check what meshd logs.
final class CapturedLog: Sendable {
    struct Record: Sendable {
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    func append(_ record: Record) { records.withLock { $0.append(record) } }

    var logger: Logger {
        Logger(label: "captured") { _ in Handler(sink: self) }
    }

    struct Handler: LogHandler {
        let sink: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(
            level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
            function: String,
            line: UInt
        ) {
            let merged = self.metadata.merging(metadata ?? [:]) { $1 }
            sink.append(Record(message: "\(message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}

@Suite("NACK logging is bounded")
struct NackLogTests {
    @Test("50 NACKs of 1 MB each log a few lines of about 1 KB; /debug/nacks keeps a bounded text")
    func floodOfHugeNacksIsTruncatedAndRateLimited() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["a": "one"])
        let log = CapturedLog()
        let ads = ADSServer(provider: provider, logger: log.logger)
        let huge = String(repeating: "é", count: 512 * 1024)  // 1 MB of UTF-8, two bytes a character
        try await withADSServer(on: ads) { port in
            try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                stream.send(
                    .make(
                        type: XDSType.cluster.rawValue,
                        node: node("sidecar~10.0.0.1~nack.default~default.svc.cluster.local")))
                let first = try await nextResponse(&responses)
                for _ in 0..<50 {
                    stream.send(.make(type: XDSType.cluster.rawValue, nonce: first.nonce, error: huge))
                }
                // A last request that is answered proves every NACK before it was handled.
                stream.send(.make(type: XDSType.listener.rawValue))
                _ = try await nextResponse(&responses)
            }
        }
        let rejections = log.all.filter { $0.message == "proxy rejected config" }
        #expect((1...5).contains(rejections.count), "\(rejections.count) NACK lines logged")
        let total = log.all.reduce(0) {
            $0 + $1.message.utf8.count + $1.metadata.values.reduce(0) { $0 + $1.utf8.count }
        }
        #expect(total < 20_000, "the log took \(total) bytes")
        for record in rejections {
            let error = try #require(record.metadata["error"])
            #expect(error.utf8.count < 1_200 && error.contains("more bytes; see /debug/nacks"), "\(error.prefix(80))…")
        }
    }

    @Test("a NACK's stored text is cut to 64 KiB on a character boundary, whole below it")
    func storedNackIsBounded() {
        let huge = String(repeating: "é", count: 512 * 1024)
        let record = NackRecord(version: "v", nonce: "n", resourceNames: [], message: huge, code: 3, at: .now)
        #expect(record.message.utf8.count < NackRecord.storedMessageBytes + 100)
        #expect(record.message.hasPrefix(String(repeating: "é", count: 100)) && record.message.contains("more bytes"))
        #expect(!record.message.contains("\u{FFFD}"))
        let small = NackRecord(version: "v", nonce: "n", resourceNames: [], message: "bad regex", code: 3, at: .now)
        #expect(small.message == "bad regex")
    }

    @Test("the limiter logs a burst per connection and window, then reports what it suppressed")
    func limiterWindows() {
        let limiter = RejectionLogLimiter(burst: 2, window: .seconds(60))
        let start = ContinuousClock.now
        let first = (0..<5).map { _ in limiter.decide(connection: 1, now: start) }
        #expect(first.map(\.log) == [true, true, false, false, false])
        #expect(limiter.decide(connection: 2, now: start).log, "another proxy has its own budget")
        let later = limiter.decide(connection: 1, now: start + .seconds(61))
        #expect(later == .init(log: true, suppressed: 3))
        limiter.forget(connection: 1)
        limiter.forget(connection: 2)
        #expect(limiter.trackedConnections == 0)
    }
}

/// Runs `ads` over real gRPC on 127.0.0.1 for the duration of `body`.
func withADSServer(on ads: ADSServer<SettableProvider>, _ body: @Sendable (Int) async throws -> Void) async throws {
    let transport = HTTP2ServerTransport.Posix(
        address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
    let server = GRPCServer(transport: transport, services: [AggregatedDiscoveryService(server: ads)])
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve() }
        defer { server.beginGracefulShutdown() }
        guard let address = try await transport.listeningAddress.ipv4 else { throw StreamEnded() }
        try await body(address.port)
    }
}
