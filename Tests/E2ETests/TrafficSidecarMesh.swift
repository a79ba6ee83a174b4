import Foundation
import MeshTestSupport
import Testing

/// A small mesh for the Istio `Sidecar` kind: meshd, a `client` pod and an `echo` pod (the Service `echo`), each
/// with a sidecar, and a `stranger` pod without a sidecar running an echo server on 7070 that no Service,
/// ServiceEntry or WorkloadEntry describes: an unknown destination for the client.
///
/// One mesh serves the whole `TrafficSidecarTests` suite; each test puts its own client Sidecar in force
/// (`applySidecar`) before sending traffic, so the tests do not depend on each other's order.
final class TrafficSidecarMesh: @unchecked Sendable {
    static let echoPort = 8080
    static let strangerPort = 7070
    static let echoIP = "10.96.0.50"
    static let sidecarFile = "client-sidecar.yaml"

    @TaskLocal static var current: TrafficSidecarMesh?

    let meshd: MeshdProcess
    let client: Sidecar
    let echo: Sidecar
    let stranger: Pod

    private init(meshd: MeshdProcess, client: Sidecar, echo: Sidecar, stranger: Pod) {
        self.meshd = meshd
        self.client = client
        self.echo = echo
        self.stranger = stranger
    }

    static func require() throws -> TrafficSidecarMesh {
        guard let current else {
            throw HarnessError("no Sidecar mesh: the suite needs the .trafficSidecarMesh trait")
        }
        return current
    }

    /// The `echo` Service and a WorkloadEntry per sidecar pod (the stranger is deliberately left out).
    static func services(_ pods: [Pod]) -> String {
        let service = """
            apiVersion: v1
            kind: Service
            metadata:
              name: echo
              namespace: default
            spec:
              clusterIP: \(echoIP)
              selector:
                app: echo
              ports:
              - name: http
                port: \(echoPort)
                targetPort: \(echoPort)
            """
        let entries = pods.map(\.workloadEntryYAML)
        return ([service] + entries).joined(separator: "\n---\n")
    }

    /// The client's Sidecar (selected by `app: client`) with outbound traffic policy `mode`, importing only its own
    /// namespace.
    static func clientSidecar(mode: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata:
          name: client
          namespace: default
        spec:
          workloadSelector:
            labels:
              app: client
          egress:
          - hosts:
            - "./*"
          outboundTrafficPolicy:
            mode: \(mode)
        """
    }

    static func start(in network: MeshNetwork) async throws -> TrafficSidecarMesh {
        let clientPod = try network.addPod(
            name: "client", labels: ["app": "client"], serviceAccount: "client")
        let echoPod = try network.addPod(
            name: "echo-1", labels: ["app": "echo"], serviceAccount: "echo")
        let strangerPod = try network.addPod(
            name: "stranger", labels: ["app": "stranger"], serviceAccount: "stranger")
        try strangerPod.removeInterception()
        let meshd = try await MeshdProcess.start(
            in: network,
            configFiles: [
                "services.yaml": services([clientPod, echoPod]),
                sidecarFile: clientSidecar(mode: "ALLOW_ANY"),
            ])
        try await echoPod.startEchoServer(service: "echo", port: echoPort)
        try await strangerPod.startEchoServer(service: "stranger", port: strangerPort)
        var sidecars: [Sidecar] = []
        for pod in [clientPod, echoPod] {
            sidecars.append(try pod.startSidecar(bootstrapJSON: meshd.bootstrap(for: pod)))
        }
        for sidecar in sidecars { try await sidecar.waitUntilReady() }
        let mesh = TrafficSidecarMesh(
            meshd: meshd, client: sidecars[0], echo: sidecars[1], stranger: strangerPod)
        _ = try await Poll.until("the client's first requests to reach echo", timeout: .seconds(20)) {
            let traffic = try await mesh.sendToEcho(count: 2, maxSeconds: 5)
            return traffic.ok == 2 ? traffic : nil
        }
        return mesh
    }

    /// Puts the client Sidecar with `mode` in force and returns once the client's Envoy runs listeners whose
    /// virtualOutbound catch-all goes to `cluster`.
    func applySidecar(mode: String, expecting cluster: String) async throws {
        try meshd.writeConfig(Self.sidecarFile, Self.clientSidecar(mode: mode))
        do {
            _ = try await Poll.until(
                "the client's virtualOutbound to send to \(cluster)", timeout: .seconds(10)
            ) {
                try self.catchAllCluster() == cluster ? true : nil
            }
        } catch {
            let errors = (try? meshd.configz().errors.map(\.message)) ?? []
            throw HarnessError("\(error); meshd config errors: \(errors)")
        }
    }

    /// The cluster of the client's virtualOutbound catch-all chain, from its config_dump.
    func catchAllCluster() throws -> String? {
        let dump = try client.admin("/config_dump?resource=dynamic_listeners")
        guard dump.status == 200, let root = try dump.json() as? [String: Any],
            let configs = root["configs"] as? [[String: Any]]
        else { return nil }
        for config in configs {
            guard let active = config["active_state"] as? [String: Any],
                let listener = active["listener"] as? [String: Any],
                listener["name"] as? String == "virtualOutbound",
                let chains = listener["filter_chains"] as? [[String: Any]],
                let filter = (chains.first?["filters"] as? [[String: Any]])?.first,
                let typed = filter["typed_config"] as? [String: Any]
            else { continue }
            return typed["cluster"] as? String
        }
        return nil
    }

    /// Requests from the client to the stranger's address, which no registry entry describes.
    func sendToStranger(count: Int = 3, maxSeconds: Double = 10) async throws -> CapturedTraffic {
        try await client.pod.exchange(
            "http://\(stranger.ip):\(Self.strangerPort)/", host: "\(stranger.ip):\(Self.strangerPort)",
            count: count,
            capture: count, maxSeconds: maxSeconds, perRequestTimeout: 3)
    }

    /// Requests from the client to the `echo` Service (a known destination).
    func sendToEcho(count: Int = 3, maxSeconds: Double = 10) async throws -> CapturedTraffic {
        try await client.pod.exchange(
            "http://\(Self.echoIP):\(Self.echoPort)/", host: "echo", count: count, capture: 1,
            maxSeconds: maxSeconds,
            perRequestTimeout: 3)
    }
}

/// Runs the suite inside one `TrafficSidecarMesh`, built before its first test and torn down after its last.
struct TrafficSidecarMeshScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await MeshNetwork.with(label: "traffic-sidecar") { network in
            let mesh = try await TrafficSidecarMesh.start(in: network)
            try await TrafficSidecarMesh.$current.withValue(mesh) { try await function() }
        }
    }
}

extension Trait where Self == TrafficSidecarMeshScope {
    /// The suite's tests share one running mesh (`TrafficSidecarMesh.require()`).
    static var trafficSidecarMesh: Self { Self() }
}
