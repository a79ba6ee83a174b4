import Foundation
import Logging
import MeshModel
import Testing

@testable import meshd

/// meshd's log handler hides PEM private-key blocks in every line, message and metadata alike.
@Suite struct RedactingLogHandlerTests {
    /// Keeps what reaches it.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [LogEvent] = []
        func append(_ event: LogEvent) { lock.withLock { events.append(event) } }
        var all: [LogEvent] { lock.withLock { events } }
    }

    struct RecordingHandler: LogHandler {
        let recorder: Recorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { recorder.append(event) }
    }

    @Test("a key in the message, in string, array and dictionary metadata, is redacted before it is written")
    func redactsMessageAndMetadata() {
        let body = Data((0..<200).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let pem = "-----BEGIN PRIVATE KEY-----\n\(body)\n-----END PRIVATE KEY-----"
        let recorder = Recorder()
        let logger = Logger(label: "test") { _ in RedactingLogHandler(RecordingHandler(recorder: recorder)) }
        logger.warning(
            "refused host \(pem)",
            metadata: ["value": "\(pem)", "list": ["ok", "\(pem)"], "map": ["k": "\(pem)"], "plain": "kept"])
        let event = try? #require(recorder.all.first)
        let text = "\(event?.message ?? "")" + "\(event?.metadata ?? [:])"
        #expect(!text.contains(String(body.prefix(32))), "\(text)")
        #expect(text.contains(PrivateKeyRedaction.placeholder))
        #expect(event?.metadata?["plain"] == "kept")
        #expect("\(event?.message ?? "")".hasPrefix("refused host "))
    }
}
