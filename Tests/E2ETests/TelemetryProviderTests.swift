import Foundation
import MeshTestSupport
import Testing

/// Telemetry's gRPC providers through real Envoys: Envoy's access log service (`envoyHttpAls`, `envoyTcpAls`), the
/// OpenTelemetry access logger (`envoyOtelAls`) and the OpenTelemetry tracer (`opentelemetry`, over gRPC and then over
/// HTTP). One collector (`Scripts/testdata/otel_collector.py`, in a pod without a sidecar, as the Service
/// `otel-collector.istio-system` with a gRPC port and an HTTP port) receives everything. A client sidecar calls a
/// server sidecar over HTTP (9080) and over TCP (9081).
@Suite("Telemetry gRPC providers end to end (access log service, OpenTelemetry)", .serialized, .tags(.e2e))
struct TelemetryProviderTests {
    static let clusterIP = "10.96.0.88"
    static let collectorIP = "10.96.0.89"
    static let httpPort = 9080
    static let tcpPort = 9081
    static let grpcPort = 4317
    static let otlpHTTPPort = 4318
    static let host = "traced.default.svc.cluster.local"
    static let collectorHost = "otel-collector.istio-system.svc.cluster.local"

    static func config(client: Pod, server: Pod, collector: Pod) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: traced, namespace: default}
        spec:
          clusterIP: \(clusterIP)
          selector: {app: traced}
          ports:
          - {name: http, port: \(httpPort), targetPort: \(httpPort)}
          - {name: tcp, port: \(tcpPort), targetPort: \(tcpPort)}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: otel-collector, namespace: istio-system}
        spec:
          clusterIP: \(collectorIP)
          selector: {app: otel-collector}
          ports:
          - {name: grpc-otlp, port: \(grpcPort), targetPort: \(grpcPort)}
          - {name: http-otlp, port: \(otlpHTTPPort), targetPort: \(otlpHTTPPort)}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(server.name), namespace: default}
        spec: {address: \(server.ip), serviceAccount: \(server.serviceAccount), labels: {app: traced}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(client.name), namespace: default}
        spec: {address: \(client.ip), serviceAccount: \(client.serviceAccount), labels: {app: caller}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(collector.name), namespace: istio-system}
        spec: {address: \(collector.ip), labels: {app: otel-collector}}
        """
    }

    static let meshConfig = """
        extensionProviders:
        - name: als-http
          envoyHttpAls:
            service: \(collectorHost)
            port: \(grpcPort)
            logName: mesh-http
            additionalRequestHeadersToLog: [x-user]
        - name: als-tcp
          envoyTcpAls: {service: \(collectorHost), port: \(grpcPort)}
        - name: otel-logs
          envoyOtelAls:
            service: \(collectorHost)
            port: \(grpcPort)
            logFormat:
              text: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%"
              labels: {code: "%RESPONSE_CODE%", user: "%REQ(X-USER)%"}
        - name: otel-grpc
          opentelemetry: {service: \(collectorHost), port: \(grpcPort)}
        - name: otel-http
          opentelemetry:
            service: \(collectorHost)
            port: \(otlpHTTPPort)
            http: {path: /v1/traces, timeout: 5s}
        """

    static func telemetry(tracer: String) -> String {
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system}
        spec:
          accessLogging:
          - providers: [{name: als-http}, {name: als-tcp}, {name: otel-logs}]
          tracing:
          - providers: [{name: \(tracer)}]
            randomSamplingPercentage: 100
            useRequestIdForTraceSampling: true
        """
    }

    struct Records: Decodable {
        struct HTTPEntry: Decodable {
            var log_name: String
            var method: String
            var path: String
            var status: Int
            var request_headers: [String: String]
            var upstream_cluster: String
        }
        struct TCPEntry: Decodable {
            var log_name: String
            var upstream_cluster: String
        }
        struct LogRecord: Decodable {
            var body: String?
            var attributes: [String: String]
        }
        struct Span: Decodable {
            var trace_id: String
            var kind: Int
            var resource: [String: String]
            var transport: String
        }
        var als_http: [HTTPEntry]
        var als_tcp: [TCPEntry]
        var otel_logs: [LogRecord]
        var otel_spans: [Span]
    }

    static func records(on collector: Pod) throws -> Records {
        let response = try collector.localGet(port: otlpHTTPPort, path: "/records")
        guard response.status == 200 else { throw HarnessError("collector answered \(response.status)") }
        return try JSONDecoder().decode(Records.self, from: Data(response.body.utf8))
    }

    /// Three requests over `port`; true when all three were answered 200.
    static func send(_ client: Pod, port: Int, path: String) async throws -> Bool {
        let summary = try await client.sendRequests(
            to: "http://\(clusterIP):\(port)\(path)", host: host, headers: ["x-user": "alice"], count: 3,
            maxSeconds: 8, perRequestTimeout: 2)
        return summary.ok == 3
    }

    @Test("access log service, OpenTelemetry logs and spans reach the collector from both sidecars")
    func providersReachTheCollector() async throws {
        try await MeshNetwork.with(label: "otel") { network in
            let client = try network.addPod(name: "caller", labels: ["app": "caller"], serviceAccount: "caller")
            let server = try network.addPod(name: "traced", labels: ["app": "traced"], serviceAccount: "traced")
            let collector = try network.addPod(
                name: "otel-collector", labels: ["app": "otel-collector"], serviceAccount: "otel-collector")
            let meshConfig = network.scratchDirectory.appendingPathComponent("mesh-config.yaml")
            try Self.meshConfig.write(to: meshConfig, atomically: true, encoding: .utf8)
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "mesh.yaml": Self.config(client: client, server: server, collector: collector),
                    "telemetry.yaml": Self.telemetry(tracer: "otel-grpc"),
                ],
                extraArguments: ["--mesh-config", meshConfig.path])
            // The collector has no sidecar: its connections, and those to it, are not intercepted.
            try collector.removeInterception()
            try await collector.startOTelCollector(grpcPort: Self.grpcPort, httpPort: Self.otlpHTTPPort)
            try await server.startEchoServer(service: "traced", port: Self.httpPort)
            try await server.startEchoServer(service: "traced", port: Self.tcpPort)
            let sidecars = [
                try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client)),
                try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server)),
            ]
            for sidecar in sidecars { try await sidecar.waitUntilReady() }
            let outbound = "outbound|\(Self.httpPort)||\(Self.host)"
            let inbound = "inbound|\(Self.httpPort)||"

            // 1. HTTP: the access log service gets each request from both sides, with the extra header; the
            //    OpenTelemetry logger gets records in the provider's format; the tracer exports a CLIENT and a
            //    SERVER span of one trace over gRPC, each named by its workload's service.
            let seen = try await Poll.until("telemetry of /observed", timeout: .seconds(40)) { () -> Records? in
                guard try await Self.send(client, port: Self.httpPort, path: "/observed") else { return nil }
                try await Task.sleep(for: .seconds(1))
                let records = try Self.records(on: collector)
                let http = records.als_http.filter { $0.path == "/observed" }
                let sides = Set(http.map(\.upstream_cluster))
                let spans = records.otel_spans.filter { $0.transport == "grpc" }
                guard sides.contains(outbound), sides.contains(where: { $0.hasPrefix(inbound) }),
                    records.otel_logs.contains(where: { $0.body == "GET /observed 200" }),
                    Set(spans.map(\.kind)).isSuperset(of: [2, 3])
                else { return nil }
                return records
            }
            let http = seen.als_http.filter { $0.path == "/observed" }
            for entry in http {
                #expect(entry.log_name == "mesh-http", "\(entry)")
                #expect(entry.method == "GET" && entry.status == 200, "\(entry)")
                #expect(entry.request_headers["x-user"] == "alice", "additionalRequestHeadersToLog: \(entry)")
            }
            let logs = seen.otel_logs.filter { $0.body == "GET /observed 200" }
            for record in logs {
                #expect(record.attributes == ["code": "200", "user": "alice"], "\(record)")
            }
            let spans = seen.otel_spans.filter { $0.transport == "grpc" }
            let clientSpan = try #require(spans.first { $0.kind == 3 })
            #expect(
                spans.contains { $0.kind == 2 && $0.trace_id == clientSpan.trace_id }, "one trace: \(spans)")
            #expect(clientSpan.resource["service.name"] == "caller.default", "\(clientSpan)")
            #expect(spans.contains { $0.kind == 2 && $0.resource["service.name"] == "traced.default" }, "\(spans)")

            // 2. TCP: the TCP access log service gets the connections through tcp_proxy, named as istiod names them.
            let tcpCluster = "outbound|\(Self.tcpPort)||\(Self.host)"
            _ = try await Poll.until("TCP access log entries", timeout: .seconds(30)) { () -> Bool? in
                guard try await Self.send(client, port: Self.tcpPort, path: "/over-tcp") else { return nil }
                try await Task.sleep(for: .seconds(1))
                let entries = try Self.records(on: collector).als_tcp.filter { $0.upstream_cluster == tcpCluster }
                return entries.contains { $0.log_name == "tcp_envoy_accesslog" } ? true : nil
            }

            // 3. The tracer switched to OTLP over HTTP, applied live: spans now arrive by HTTP.
            try meshd.writeConfig("telemetry.yaml", Self.telemetry(tracer: "otel-http"))
            let overHTTP = try await Poll.until("spans over OTLP/HTTP", timeout: .seconds(40)) { () -> [Records.Span]? in
                guard try await Self.send(client, port: Self.httpPort, path: "/observed-http") else { return nil }
                try await Task.sleep(for: .seconds(1))
                let spans = try Self.records(on: collector).otel_spans.filter { $0.transport == "http" }
                return Set(spans.map(\.kind)).isSuperset(of: [2, 3]) ? spans : nil
            }
            #expect(overHTTP.contains { $0.resource["service.name"] == "caller.default" }, "\(overHTTP)")
            for sidecar in sidecars {
                #expect(try sidecar.counter("listener_manager.lds.update_rejected") == 0)
            }
        }
    }
}
