import Foundation
import MeshTestSupport
import Testing

/// Tracing through real Envoys: a mesh-wide Telemetry sends spans of every request to a Zipkin-compatible collector
/// (`Scripts/testdata/zipkin_collector.py`, in a pod without a sidecar, as the Service `zipkin.istio-system`), with
/// custom tags; then `randomSamplingPercentage: 0` sends none. A client sidecar calls a server sidecar (echo on 9080);
/// one request gives a CLIENT span from the client's Envoy and a SERVER span from the server's, in one trace.
@Suite("Tracing end to end (Telemetry, Zipkin)", .serialized, .tags(.e2e))
struct TelemetryTracingTests {
    static let clusterIP = "10.96.0.86"
    static let zipkinIP = "10.96.0.87"
    static let port = 9080
    static let zipkinPort = 9411
    static let host = "traced.default.svc.cluster.local"

    static func config(client: Pod, server: Pod, collector: Pod) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: traced, namespace: default}
        spec:
          clusterIP: \(clusterIP)
          selector: {app: traced}
          ports: [{name: http, port: \(port), targetPort: \(port)}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: zipkin, namespace: istio-system}
        spec:
          clusterIP: \(zipkinIP)
          selector: {app: zipkin}
          ports: [{name: http-zipkin, port: \(zipkinPort), targetPort: \(zipkinPort)}]
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
        spec: {address: \(collector.ip), labels: {app: zipkin}}
        """
    }

    static func telemetry(sampling: Double) -> String {
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system}
        spec:
          tracing:
          - providers: [{name: zipkin}]
            randomSamplingPercentage: \(sampling)
            customTags:
              team: {literal: {value: payments}}
              user: {header: {name: x-user, defaultValue: nobody}}
        """
    }

    struct Span: Decodable {
        var traceId: String
        var id: String
        var kind: String?
        var tags: [String: String]?
    }

    struct Spans: Decodable { var spans: [Span] }

    static func spans(on collector: Pod) throws -> [Span] {
        let response = try collector.localGet(port: zipkinPort, path: "/spans")
        guard response.status == 200 else { throw HarnessError("collector answered \(response.status)") }
        return try JSONDecoder().decode(Spans.self, from: Data(response.body.utf8)).spans
    }

    /// The spans of requests to `path` (Envoy tags every span with `http.url`).
    static func spans(on collector: Pod, path: String) throws -> [Span] {
        try spans(on: collector).filter { $0.tags?["http.url"]?.hasSuffix(path) == true }
    }

    /// Three requests to `path`; true when all three were answered 200.
    @discardableResult
    func send(_ client: Pod, path: String) async throws -> Bool {
        let summary = try await client.sendRequests(
            to: "http://\(Self.clusterIP):\(Self.port)\(path)", host: Self.host, headers: ["x-user": "alice"],
            count: 3, maxSeconds: 8, perRequestTimeout: 2)
        return summary.ok == 3
    }

    @Test("both sidecars report spans of one trace with the custom tags; sampling 0 reports none")
    func spansReachTheCollector() async throws {
        try await MeshNetwork.with(label: "trace") { network in
            let client = try network.addPod(name: "caller", labels: ["app": "caller"], serviceAccount: "caller")
            let server = try network.addPod(name: "traced", labels: ["app": "traced"], serviceAccount: "traced")
            let collector = try network.addPod(name: "zipkin", labels: ["app": "zipkin"], serviceAccount: "zipkin")
            let meshConfig = network.scratchDirectory.appendingPathComponent("mesh-config.yaml")
            try """
            extensionProviders:
            - name: zipkin
              zipkin: {service: zipkin.istio-system.svc.cluster.local, port: \(Self.zipkinPort)}
            """.write(to: meshConfig, atomically: true, encoding: .utf8)
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "mesh.yaml": Self.config(client: client, server: server, collector: collector),
                    "telemetry.yaml": Self.telemetry(sampling: 100),
                ],
                extraArguments: ["--mesh-config", meshConfig.path])
            // The collector has no sidecar: its connections, and those to it, are not intercepted.
            try collector.removeInterception()
            try await collector.startZipkinCollector(port: Self.zipkinPort)
            try await server.startEchoServer(service: "traced", port: Self.port)
            let sidecars = [
                try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client)),
                try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server)),
            ]
            for sidecar in sidecars { try await sidecar.waitUntilReady() }
            // 1. Sampling 100: each request gives a CLIENT and a SERVER span of one trace, with the custom tags.
            let traced = try await Poll.until("spans of /traced", timeout: .seconds(30)) { () -> [Span]? in
                guard try await send(client, path: "/traced") else { return nil }
                try await Task.sleep(for: .seconds(1))
                let found = try Self.spans(on: collector, path: "/traced")
                let kinds = Set(found.compactMap(\.kind))
                return kinds.contains("CLIENT") && kinds.contains("SERVER") ? found : nil
            }
            let clientSpan = try #require(traced.first { $0.kind == "CLIENT" })
            #expect(traced.contains { $0.kind == "SERVER" && $0.traceId == clientSpan.traceId }, "\(traced)")
            #expect(clientSpan.traceId.count == 32, "128-bit trace ids: \(clientSpan.traceId)")
            for span in traced {
                #expect(span.tags?["team"] == "payments", "\(span)")
                #expect(span.tags?["user"] == "alice", "\(span)")
            }

            // 2. Sampling 0, applied live: requests are still served, and no span of them reaches the collector.
            try meshd.writeConfig("telemetry.yaml", Self.telemetry(sampling: 0))
            _ = try await Poll.until("sampling 0 in force", timeout: .seconds(30)) { () -> Bool? in
                let marker = "/untraced-\(Int.random(in: 1000...9999))"
                guard try await send(client, path: marker) else { return nil }
                try await Task.sleep(for: .seconds(2))
                return try Self.spans(on: collector, path: marker).isEmpty ? true : nil
            }
            let quiet = "/quiet-\(Int.random(in: 1000...9999))"
            #expect(try await send(client, path: quiet))
            #expect(try await send(client, path: "/traced"))
            try await Task.sleep(for: .seconds(2))
            #expect(try Self.spans(on: collector, path: quiet).isEmpty)
            for sidecar in sidecars {
                #expect(try sidecar.counter("listener_manager.lds.update_rejected") == 0)
            }
        }
    }
}
