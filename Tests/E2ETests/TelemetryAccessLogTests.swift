import Foundation
import MeshTestSupport
import Testing

/// Access logs through real Envoys: the mesh config's `accessLogFile` and `accessLogFormat`, then, live, a
/// namespace Telemetry whose CEL filter keeps only 5xx responses, JSON encoding, and a workload Telemetry that turns
/// one side off — read back from the file the Envoys write. A client sidecar calls a server sidecar (echo on 9080);
/// both log to one file, told apart by the upstream cluster (`outbound|…` on the client, `inbound|…` on the server).
@Suite("Access logs end to end (mesh config, Telemetry)", .serialized, .tags(.e2e))
struct TelemetryAccessLogTests {
    static let clusterIP = "10.96.0.84"
    static let port = 9080
    static let host = "logged.default.svc.cluster.local"
    static let textFormat = "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %UPSTREAM_CLUSTER_RAW% id=%REQ(X-REQUEST-ID)%"
    static let jsonFormat =
        #"{"path": "%REQ(:PATH)%", "code": "%RESPONSE_CODE%", "cluster": "%UPSTREAM_CLUSTER_RAW%", "id": "%REQ(X-REQUEST-ID)%"}"#

    static func config(client: Pod, server: Pod) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: logged, namespace: default}
        spec:
          clusterIP: \(clusterIP)
          selector: {app: logged}
          ports: [{name: http, port: \(port), targetPort: \(port)}]
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(server.name), namespace: default}
        spec: {address: \(server.ip), serviceAccount: \(server.serviceAccount), labels: {app: logged}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(client.name), namespace: default}
        spec: {address: \(client.ip), serviceAccount: \(client.serviceAccount), labels: {app: caller}}
        """
    }

    struct Line {
        var path: String
        var code: String
        var cluster: String
        var id: String
        var isClient: Bool { cluster.hasPrefix("outbound|\(TelemetryAccessLogTests.port)||") }
        var isServer: Bool { cluster.hasPrefix("inbound|") }
    }

    /// Every line of the access log, text (`textFormat`) or JSON (`jsonFormat`); a line that is neither is recorded
    /// as an issue.
    static func lines(in file: URL) -> [Line] {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { raw -> Line? in
            let line = String(raw)
            if line.hasPrefix("{") {
                // Envoy writes numeric operators (%RESPONSE_CODE%) as JSON numbers.
                guard let data = line.data(using: .utf8),
                    let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let path = object["path"] as? String, let code = object["code"].map({ "\($0)" }),
                    let cluster = object["cluster"] as? String, let id = object["id"] as? String
                else {
                    Issue.record("not a JSON line of the configured fields: \(line)")
                    return nil
                }
                return Line(path: path, code: code, cluster: cluster, id: id)
            }
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 5, fields[4].hasPrefix("id=") else {
                Issue.record("not a line of the configured text format: \(line)")
                return nil
            }
            return Line(path: fields[1], code: fields[2], cluster: fields[3], id: String(fields[4].dropFirst(3)))
        }
    }

    static func lines(in file: URL, path: String) -> (client: [Line], server: [Line]) {
        let matching = lines(in: file).filter { $0.path == path }
        return (matching.filter(\.isClient), matching.filter(\.isServer))
    }

    /// Three requests to `path`; with `failing`, the echo server answers each with 503. True when all three got the
    /// expected status.
    @discardableResult
    func send(_ client: Pod, path: String, failing: Bool = false) async throws -> Bool {
        let headers = failing ? ["x-echo-key": path, "x-echo-fail-first": "1000", "x-echo-fail-status": "503"] : [:]
        let summary = try await client.sendRequests(
            to: "http://\(Self.clusterIP):\(Self.port)\(path)", host: Self.host, headers: headers, count: 3,
            maxSeconds: 8, perRequestTimeout: 2)
        return failing ? summary.statuses["503"] == 3 : summary.ok == 3
    }

    static func writeMeshConfig(_ file: URL, log: URL, json: Bool) throws {
        let text =
            json
            ? "accessLogFile: \(log.path)\naccessLogEncoding: JSON\naccessLogFormat: '\(jsonFormat)'\n"
            : "accessLogFile: \(log.path)\naccessLogFormat: \"\(textFormat)\"\n"
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    @Test("mesh-wide file log with request ids, a live Telemetry keeping only 5xx, JSON lines, a workload turned off")
    func accessLogs() async throws {
        try await MeshNetwork.with(label: "alog") { network in
            let client = try network.addPod(name: "caller", labels: ["app": "caller"], serviceAccount: "caller")
            let server = try network.addPod(name: "logged", labels: ["app": "logged"], serviceAccount: "logged")
            // Envoy runs as the proxy's own user, which may write only here.
            let logDirectory = network.scratchDirectory.appendingPathComponent("logs")
            try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: logDirectory.path)
            let logFile = logDirectory.appendingPathComponent("access.log")
            let meshConfig = network.scratchDirectory.appendingPathComponent("mesh-config.yaml")
            try Self.writeMeshConfig(meshConfig, log: logFile, json: false)
            let meshd = try await MeshdProcess.start(
                in: network, configFiles: ["mesh.yaml": Self.config(client: client, server: server)],
                extraArguments: ["--mesh-config", meshConfig.path])
            try await server.startEchoServer(service: "logged", port: Self.port)
            // Envoy flushes access log files every 10 s by default; 200 ms keeps the polls short.
            let flush = ["--file-flush-interval-msec", "200"]
            let sidecars = [
                try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client), envoyArguments: flush),
                try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server), envoyArguments: flush),
            ]
            for sidecar in sidecars { try await sidecar.waitUntilReady() }
            // 1. The mesh config alone: both sides log every request in the configured format, and the client's
            // request ids are the server's (Envoy generates x-request-id and the server side logs the same one).
            // The poll waits until both files are flushed and the two sides' ids of the answered requests are the
            // same set: if they never are, it times out and the test fails. Requests are sent only until three
            // were answered, so a later round cannot be half flushed when the sides are compared.
            var answered = false
            let first = try await Poll.until("both sides log /first with the same request ids", timeout: .seconds(20)) {
                () -> (client: [Line], server: [Line])? in
                if !answered { answered = try await send(client, path: "/first") }
                let found = Self.lines(in: logFile, path: "/first")
                let ok = (
                    client: found.client.filter { $0.code == "200" }, server: found.server.filter { $0.code == "200" }
                )
                guard ok.client.count >= 3, Set(ok.client.map(\.id)) == Set(ok.server.map(\.id)) else { return nil }
                return ok
            }
            #expect(first.client.allSatisfy { $0.cluster == "outbound|\(Self.port)||\(Self.host)" })
            let clientIDs = Set(first.client.map(\.id))
            #expect(clientIDs.allSatisfy { $0.count >= 32 }, "request ids: \(clientIDs)")

            // 2. A namespace Telemetry with a CEL filter: only 5xx responses are logged, on both sides.
            try meshd.writeConfig(
                "telemetry.yaml",
                """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: errors-only, namespace: default}
                spec:
                  accessLogging:
                  - filter:
                      expression: "response.code >= 500"
                """)
            _ = try await Poll.until("the filter is in force", timeout: .seconds(20)) { () -> Bool? in
                let marker = "/ok-\(Int.random(in: 1000...9999))"
                guard try await send(client, path: marker),
                    try await send(client, path: marker + "-fail", failing: true)
                else { return nil }
                try await Task.sleep(for: .milliseconds(600))
                let ok = Self.lines(in: logFile, path: marker)
                let failed = Self.lines(in: logFile, path: marker + "-fail")
                return ok.client.isEmpty && ok.server.isEmpty && failed.client.count >= 3 && failed.server.count >= 3
                    ? true : nil
            }
            #expect(
                Self.lines(in: logFile).filter { $0.path.hasPrefix("/ok-") && $0.path.hasSuffix("-fail") }
                    .allSatisfy { $0.code == "503" })

            // 3. JSON encoding, switched live in the mesh config: every new line is a JSON object of the fields.
            try Self.writeMeshConfig(meshConfig, log: logFile, json: true)
            let json = try await Poll.until("JSON lines", timeout: .seconds(20)) {
                let marker = "/json-\(Int.random(in: 1000...9999))"
                try await send(client, path: marker, failing: true)
                try await Task.sleep(for: .milliseconds(600))
                let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                let jsonLines = text.split(separator: "\n").filter { $0.hasPrefix("{") && $0.contains(marker) }
                return jsonLines.count >= 6 ? jsonLines : nil
            }
            #expect(json.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) is [String: Any] })

            // 4. The server workload's own Telemetry turns its logging off; the client keeps logging.
            try meshd.writeConfig(
                "telemetry-server.yaml",
                """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: logged-off, namespace: default}
                spec:
                  selector: {matchLabels: {app: logged}}
                  accessLogging:
                  - disabled: true
                """)
            _ = try await Poll.until("the server stops logging", timeout: .seconds(20)) {
                let marker = "/off-\(Int.random(in: 1000...9999))"
                try await send(client, path: marker, failing: true)
                try await Task.sleep(for: .milliseconds(600))
                let found = Self.lines(in: logFile, path: marker)
                return found.client.count >= 3 && found.server.isEmpty ? true : nil
            }
            for sidecar in sidecars {
                #expect(try sidecar.counter("listener_manager.lds.update_rejected") == 0)
            }
        }
    }
}
