import Foundation
import MeshTestSupport
import Testing

/// End to end: real Envoy sidecars in network-namespace pods, meshd serving from a config directory and etcd at
/// once, and a route change written to etcd with `meshd apply` that changes real traffic.
@Suite("Envoy gets a route change written to etcd", .serialized, .tags(.e2e, .etcd, .envoy, .root))
struct EtcdEnvoyTests {
    static let clusterIP = "10.96.0.95"
    static let host = "echo.default.svc.cluster.local"

    static func routes(abort status: Int?) -> String {
        let fault =
            status.map { "  - fault: {abort: {httpStatus: \($0), percentage: {value: 100}}}\n    route:" }
            ?? "  - route:"
        return """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: echo, namespace: default}
            spec:
              hosts: [echo]
              http:
            \(fault) [{destination: {host: echo}}]

            """
    }

    @Test("meshd apply to etcd changes what the Envoys do: an abort appears, then goes")
    func routeChangeReachesEnvoy() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await MeshNetwork.with(label: "etcd") { network in
            let client = try network.addPod(name: "sleep", labels: ["app": "sleep"], serviceAccount: "sleep")
            let server = try network.addPod(name: "echo", labels: ["app": "echo"], serviceAccount: "echo")
            // The Service and workloads come from files, the VirtualService from etcd: the two sources combined.
            let files = """
                apiVersion: v1
                kind: Service
                metadata: {name: echo, namespace: default}
                spec:
                  clusterIP: \(Self.clusterIP)
                  selector: {app: echo}
                  ports: [{name: http, port: 9080, targetPort: 9080}]
                ---
                \(Pod.workloadEntries([client, server]))
                """
            let meshd = try await MeshdProcess.start(
                in: network, configFiles: ["mesh.yaml": files], extraArguments: ["--etcd-endpoints", etcd.url])
            try await server.startEchoServer(service: "echo", port: 9080)
            let sidecars = [
                try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client)),
                try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server)),
            ]
            for sidecar in sidecars { try await sidecar.waitUntilReady() }
            let url = "http://\(Self.clusterIP):9080/"

            func status() async throws -> Int? {
                try await client.exchange(url, host: Self.host, perRequestTimeout: 3).responses.first?.status
            }
            _ = try await Poll.until("a 200 before any VirtualService", timeout: .seconds(20)) {
                try await status() == 200 ? true : nil
            }

            let file = network.scratchDirectory.appendingPathComponent("vs.yaml")
            for (abort, expected) in [(418, 418), (nil, 200)] as [(Int?, Int)] {
                try Self.routes(abort: abort).write(to: file, atomically: true, encoding: .utf8)
                let applied = try Subprocess.run(
                    [try MeshdProcess.executable(), "apply", "-f", file.path, "--etcd-endpoints", etcd.url])
                try #require(applied.succeeded, "\(applied.stdout)\(applied.stderr)")
                _ = try await Poll.until(
                    "a \(expected) after applying abort \(abort.map(String.init) ?? "none")", timeout: .seconds(20)
                ) {
                    try await status() == expected ? true : nil
                }
            }
        }
    }
}
