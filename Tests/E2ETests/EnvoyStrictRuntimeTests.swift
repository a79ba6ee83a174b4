import Foundation
import MeshTestSupport
import Testing

/// Real Envoys that refuse any deprecated field (`envoy.features.fail_on_any_deprecated_feature`) accept everything
/// meshd serves, including routes with and without a VirtualService timeout; a gRPC caller's `grpc-timeout` header
/// still bounds a route without one (`max_stream_duration.grpc_timeout_header_max`, the replacement for the
/// deprecated `max_grpc_timeout`); and `meshd bootstrap` sets a downstream-connection limit, so Envoy starts
/// without warning that none is configured.
@Suite("Envoy with deprecated features fatal", .serialized, .tags(.e2e))
struct EnvoyStrictRuntimeTests {
    static let clusterIP = "10.96.0.90"
    static let host = "echo.default.svc.cluster.local"
    static var strictRuntime: [String: Any] {
        ["layers": [["name": "strict", "static_layer": ["envoy.features.fail_on_any_deprecated_feature": true]]]]
    }

    static func config(client: Pod, server: Pod) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: default}
        spec:
          clusterIP: \(clusterIP)
          selector: {app: echo}
          ports: [{name: http, port: 9080, targetPort: 9080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: plain, namespace: default}
        spec:
          clusterIP: 10.96.0.91
          selector: {app: echo}
          ports: [{name: http, port: 9081, targetPort: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: echo, namespace: default}
        spec:
          hosts: [echo]
          http:
          - match: [{uri: {prefix: /bounded}}]
            timeout: 2s
            retries: {attempts: 2, perTryTimeout: 1s, retryOn: 5xx}
            route: [{destination: {host: echo}}]
          - route: [{destination: {host: echo}}]
        ---
        \(Pod.workloadEntries([client, server]))
        """
    }

    /// `meshd bootstrap` for `pod`, with the runtime flag that makes every deprecated field fatal.
    static func strictBootstrap(_ meshd: MeshdProcess, for pod: Pod) throws -> String {
        let json = try meshd.bootstrap(for: pod)
        guard var document = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw HarnessError("bootstrap of \(pod.name) is not a JSON object")
        }
        document["layered_runtime"] = strictRuntime
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    @Test(
        "meshd's config is accepted with deprecated features fatal; grpc-timeout is honoured; no connection-limit warning"
    )
    func strictEnvoyAcceptsEverything() async throws {
        try await MeshNetwork.with(label: "strict") { network in
            let client = try network.addPod(name: "sleep", labels: ["app": "sleep"], serviceAccount: "sleep")
            let server = try network.addPod(name: "echo", labels: ["app": "echo"], serviceAccount: "echo")
            let meshd = try await MeshdProcess.start(
                in: network, configFiles: ["mesh.yaml": Self.config(client: client, server: server)])
            try await server.startEchoServer(service: "echo", port: 9080)
            let sidecars = [
                try client.startSidecar(bootstrapJSON: Self.strictBootstrap(meshd, for: client)),
                try server.startSidecar(bootstrapJSON: Self.strictBootstrap(meshd, for: server)),
            ]
            for sidecar in sidecars { try await sidecar.waitUntilReady() }

            // Traffic over the VirtualService route with a timeout, the one without, and a Service's default route.
            let targets = [
                ("http://\(Self.clusterIP):9080/bounded", Self.host), ("http://\(Self.clusterIP):9080/open", Self.host),
                ("http://10.96.0.91:9081/", "plain.default.svc.cluster.local"),
            ]
            for (url, host) in targets {
                let traffic = try await Poll.until("a 200 from \(url)", timeout: .seconds(20)) {
                    let traffic = try await client.exchange(url, host: host, perRequestTimeout: 3)
                    return traffic.responses.first?.status == 200 ? traffic : nil
                }
                #expect(traffic.responses.first?.echo?.service == "echo", "\(traffic)")
            }

            // Every type was accepted by both Envoys (the flag turns a deprecated field into a NACK).
            let status = try meshd.syncz()
            #expect(status.count == 2, "\(status.map(\.proxy))")
            for proxy in status {
                for (type, sync) in proxy.types {
                    #expect(sync.lastNack == nil, "\(proxy.proxy) rejected \(type): \(sync.lastNack?.error ?? "")")
                    #expect(sync.ackedVersion != nil && sync.ackedVersion == sync.sentVersion, "\(proxy.proxy) \(type)")
                }
                #expect(proxy.types["rds"]?.ackedVersion != nil, "\(proxy.proxy) holds no route configuration")
            }
            for sidecar in sidecars {
                let rejected = try sidecar.stats(matching: "update_rejected$").values.compactMap { Int($0) }.reduce(
                    0, +)
                #expect(rejected == 0, "\(sidecar.pod.name) rejected an xDS update")
            }

            // A gRPC request on the route without a timeout ends at its grpc-timeout, not at the slow backend.
            let grpcHeaders = ["content-type": "application/grpc", "grpc-timeout": "500m", "te": "trailers"]
                .merging(EchoControl.delay(6)) { $1 }
            let grpc = try await client.exchange(
                "http://\(Self.clusterIP):9080/pkg.Service/Method", host: Self.host, headers: grpcHeaders,
                maxSeconds: 10, perRequestTimeout: 9)
            let answer = try #require(grpc.responses.first, "no answer: \(grpc)")
            #expect(answer.echo == nil, "the 6 s backend answered although grpc-timeout was 500 ms: \(answer)")
            #expect(answer.header("grpc-status") == "4" || answer.status == 504, "not a deadline: \(answer)")
            #expect(answer.seconds < 5, "the request waited for the backend: \(answer)")
            print(
                "EnvoyStrictRuntime: grpc-timeout 500m against a 6 s backend: \(answer.status), grpc-status \(answer.header("grpc-status") ?? "-") after \(answer.seconds)s"
            )

            for sidecar in sidecars {
                let log = try String(contentsOf: sidecar.process.logFile, encoding: .utf8)
                #expect(!log.contains("deprecated option"), "\(sidecar.pod.name) logged a deprecated option")
                #expect(!log.contains("no configured limit"), "\(sidecar.pod.name) warned about the connection limit")
                #expect(!log.contains("deprecated runtime key"), "\(sidecar.pod.name) logged a deprecated runtime key")
            }
        }
    }

    /// The control: the same runtime flag makes this Envoy refuse a route carrying `max_grpc_timeout`, which meshd
    /// sent before (so the test above would fail on that output).
    @Test func theFlagRefusesTheDeprecatedField() throws {
        let envoy = try EnvoyBinary.path()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-strict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func bootstrap(routeAction: String, strict: Bool) throws -> String {
            let runtime =
                strict
                ? #"{"layers": [{"name": "strict", "static_layer": {"envoy.features.fail_on_any_deprecated_feature": true}}]}"#
                : #"{"layers": []}"#
            let json = """
                {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
                 "layered_runtime": \(runtime),
                 "static_resources": {
                   "clusters": [{"name": "c", "type": "STATIC", "load_assignment": {"cluster_name": "c", "endpoints": []}}],
                   "listeners": [{"name": "l", "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
                     "filter_chains": [{"filters": [{"name": "hcm", "typed_config": {
                       "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                       "stat_prefix": "x",
                       "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
                       "route_config": {"virtual_hosts": [{"name": "v", "domains": ["*"],
                         "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "c", \(routeAction)}}]}]}}}]}]}]}}
                """
            let file = directory.appendingPathComponent("\(UUID().uuidString).json")
            try json.write(to: file, atomically: true, encoding: .utf8)
            return file.path
        }
        func validates(_ path: String) throws -> SubprocessResult {
            try Subprocess.run(
                [envoy, "--mode", "validate", "-c", path, "--disable-hot-restart"], timeout: .seconds(60))
        }
        let old = #""max_grpc_timeout": "0s""#
        let new = #""max_stream_duration": {"max_stream_duration": "0s", "grpc_timeout_header_max": "0s"}"#
        #expect(try validates(bootstrap(routeAction: old, strict: false)).succeeded, "the old field is only deprecated")
        let refused = try validates(bootstrap(routeAction: old, strict: true))
        #expect(!refused.succeeded)
        #expect((refused.stdout + refused.stderr).contains("max_grpc_timeout"), "\(refused.stdout)\(refused.stderr)")
        let accepted = try validates(bootstrap(routeAction: new, strict: true))
        #expect(accepted.succeeded, "\(accepted.stdout)\(accepted.stderr)")
    }
}
