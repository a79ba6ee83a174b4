// A generated resource that fails to encode is an error, not a silent drop: it is logged with its name and the
// objects it came from, counted in `meshd_xds_resource_encoding_failures_total{type}`, and the rest of the set
// still goes out.

import CoreMetrics
import Logging
import MeshModel
import MeshTestSupport
import Synchronization
import Testing
import XDSServer
import XDSTranslator

@testable import Discovery

@Suite struct EncodingFailureTests {
    /// Remembers every log line and every counter increment.
    final class Recorder: Sendable {
        let lines = Mutex<[String]>([])
        let counts = Mutex<[String: Int64]>([:])
    }

    struct RecordingLogHandler: LogHandler {
        let recorder: Recorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            recorder.lines.withLock { $0.append("\(event.level) \(event.message) \(fields.joined(separator: " "))") }
        }
    }

    struct RecordingMetrics: MetricsFactory {
        let recorder: Recorder
        final class Counting: CounterHandler, Sendable {
            let key: String
            let recorder: Recorder
            init(_ key: String, _ recorder: Recorder) {
                self.key = key
                self.recorder = recorder
            }
            func increment(by amount: Int64) { recorder.counts.withLock { $0[key, default: 0] += amount } }
            func reset() {}
        }
        final class Ignoring: RecorderHandler, TimerHandler, Sendable {
            func record(_ value: Int64) {}
            func record(_ value: Double) {}
            func recordNanoseconds(_ duration: Int64) {}
        }
        func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
            Counting(label + dimensions.map { "{\($0.0)=\($0.1)}" }.joined(), recorder)
        }
        func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
            Ignoring()
        }
        func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { Ignoring() }
        func destroyCounter(_ handler: any CounterHandler) {}
        func destroyRecorder(_ handler: any RecorderHandler) {}
        func destroyTimer(_ handler: any TimerHandler) {}
    }

    @Test func aResourceThatFailsToEncodeIsLoggedCountedAndTheRestGoOut() async throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: bookinfo}
            spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 9080}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: ratings, namespace: bookinfo}
            spec: {clusterIP: 10.96.0.11, ports: [{name: http, port: 9080}]}
            """
        let snapshot = MeshSnapshot.build(from: ConfigDecoder.decode(yaml: yaml, file: "mesh.yaml").objects)
        struct Refused: Error, CustomStringConvertible {
            var description: String { "refused by the test encoder" }
        }
        let broken = "outbound|9080||reviews.bookinfo.svc.cluster.local"
        let recorder = Recorder()
        let provider = MeshResourceProvider(
            snapshot: snapshot, metrics: PushMetrics(factory: RecordingMetrics(recorder: recorder)),
            encoder: ResourceEncoder { name, resource in
                if name == broken { throw Refused() }
                return try XDSResource(name: name, resource: resource)
            },
            logger: Logger(label: "test", factory: { _ in RecordingLogHandler(recorder: recorder) }))
        let proxy = try Proxy(
            nodeID: "sidecar~10.9.0.1~client.bookinfo~bookinfo.svc.cluster.local", metadata: [:], labels: [:])
        let clusters = await provider.resources(.cluster, for: ProxyClient(proxy: proxy)).resources.map(\.name)

        #expect(!clusters.contains(broken))
        #expect(clusters.contains("outbound|9080||ratings.bookinfo.svc.cluster.local"), "the rest of the set goes out")
        #expect(clusters.contains("BlackHoleCluster"))
        let failures = recorder.lines.withLock { $0 }.filter { $0.contains("encoding failed") }
        #expect(failures.count == 1)
        let line = try #require(failures.first)
        #expect(line.hasPrefix("error"))
        #expect(line.contains("resource=\(broken)"))
        #expect(line.contains("Service/bookinfo/reviews"), "names the object the resource came from: \(line)")
        #expect(line.contains("mesh.yaml"))
        #expect(line.contains("refused by the test encoder"))
        #expect(recorder.counts.withLock { $0["meshd_xds_resource_encoding_failures_total{type=cds}"] } == 1)
        // One CDS set generated; a second proxy of the same view is served from the cache and generates nothing.
        let twin = try Proxy(
            nodeID: "sidecar~10.9.0.2~client-2.bookinfo~bookinfo.svc.cluster.local", metadata: [:], labels: [:])
        _ = await provider.resources(.cluster, for: ProxyClient(proxy: twin))
        #expect(recorder.counts.withLock { $0["meshd_xds_generations_total{type=cds}"] } == 1)
        #expect(recorder.counts.withLock { $0["meshd_xds_generations_total{type=eds}"] } == nil)
    }
}
