import Foundation
import MeshTestSupport
import Testing

/// A small mesh for the DestinationRule features: meshd in the root namespace, a `client` pod and four backend
/// pods, each with a sidecar. `hash-1`..`hash-3` run an echo server on 8080; `bad` runs none, so its sidecar
/// answers 503 (connection refused by the app), a failing endpoint.
///
/// Services (selectors over the pods' labels), each with its own DestinationRule in force from the start:
/// - `hashed` (`app: hashed`: hash-1..3): `consistentHash.httpHeaderName: x-user`;
/// - `slow` (`slow: "yes"`: hash-2): `connectionPool` with one connection and one pending request;
/// - `flaky` (`flaky: "yes"`: hash-1 and bad): ROUND_ROBIN and `outlierDetection` ejecting after one 5xx.
///
/// One mesh serves the whole `TrafficDestinationRuleTests` suite; tests count with their own `x-echo-key`s.
final class TrafficDestinationRuleMesh: @unchecked Sendable {
    static let port = 8080
    static let addresses = ["hashed": "10.96.0.40", "slow": "10.96.0.41", "flaky": "10.96.0.42"]

    @TaskLocal static var current: TrafficDestinationRuleMesh?

    let meshd: MeshdProcess
    let client: Sidecar
    /// hash-1, hash-2, hash-3, bad.
    let backends: [Sidecar]

    private init(meshd: MeshdProcess, client: Sidecar, backends: [Sidecar]) {
        self.meshd = meshd
        self.client = client
        self.backends = backends
    }

    static func require() throws -> TrafficDestinationRuleMesh {
        guard let current else {
            throw HarnessError("no DestinationRule mesh: the suite needs the .trafficDestinationRuleMesh trait")
        }
        return current
    }

    static func cluster(_ service: String) -> String { "outbound|\(port)||\(service).default.svc.cluster.local" }

    // MARK: - Configuration

    static func services(_ pods: [Pod]) -> String {
        let selectors = ["hashed": "app: hashed", "slow": "slow: \"yes\"", "flaky": "flaky: \"yes\""]
        let services = selectors.sorted { $0.key < $1.key }.map { name, selector in
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: \(name)
              namespace: default
            spec:
              clusterIP: \(addresses[name] ?? "")
              selector:
                \(selector)
              ports:
              - name: http
                port: \(port)
                targetPort: \(port)
                protocol: TCP
            """
        }
        let entries = pods.map(\.workloadEntryYAML)
        return (services + entries).joined(separator: "\n---\n")
    }

    static let destinationRules = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: hashed, namespace: default}
        spec:
          host: hashed
          trafficPolicy:
            loadBalancer:
              consistentHash: {httpHeaderName: x-user}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: slow, namespace: default}
        spec:
          host: slow
          trafficPolicy:
            connectionPool:
              tcp: {maxConnections: 1}
              http: {http1MaxPendingRequests: 1}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: flaky, namespace: default}
        spec:
          host: flaky
          trafficPolicy:
            loadBalancer: {simple: ROUND_ROBIN}
            outlierDetection:
              consecutive5xxErrors: 1
              interval: 1s
              baseEjectionTime: 60s
              maxEjectionPercent: 100
        """

    // MARK: - Life cycle

    static func start(in network: MeshNetwork) async throws -> TrafficDestinationRuleMesh {
        let clientPod = try network.addPod(name: "client", labels: ["app": "client"], serviceAccount: "client")
        let backendLabels: [(String, [String: String])] = [
            ("hash-1", ["app": "hashed", "flaky": "yes"]), ("hash-2", ["app": "hashed", "slow": "yes"]),
            ("hash-3", ["app": "hashed"]), ("bad", ["flaky": "yes"]),
        ]
        var backendPods: [Pod] = []
        for (name, labels) in backendLabels {
            backendPods.append(try network.addPod(name: name, labels: labels, serviceAccount: "backend"))
        }
        let pods = [clientPod] + backendPods
        let meshd = try await MeshdProcess.start(
            in: network, configFiles: ["services.yaml": services(pods), "destination-rules.yaml": destinationRules])
        for pod in backendPods where pod.name != "bad" { try await pod.startEchoServer(service: pod.name, port: port) }
        var sidecars: [Sidecar] = []
        for pod in pods { sidecars.append(try pod.startSidecar(bootstrapJSON: meshd.bootstrap(for: pod))) }
        for sidecar in sidecars { try await sidecar.waitUntilReady() }
        let mesh = TrafficDestinationRuleMesh(meshd: meshd, client: sidecars[0], backends: Array(sidecars.dropFirst()))
        _ = try await Poll.until("the client's first requests to reach every service", timeout: .seconds(20)) {
            () async throws -> Bool? in
            for service in ["hashed", "slow"] {
                let traffic = try await mesh.send(service, count: 2, maxSeconds: 5)
                if traffic.ok != 2 { return nil }
            }
            return true
        }
        return mesh
    }

    // MARK: - Operations

    /// Sends at most `count` requests from the client to `service`'s VIP with `Host: <service>`, capturing the
    /// first `capture` answers complete.
    func send(
        _ service: String, headers: [String: String] = [:], count: Int = 1, capture: Int = 1,
        maxSeconds: Double = 20, perRequestTimeout: Double = 5
    ) async throws -> CapturedTraffic {
        try await client.pod.exchange(
            "http://\(Self.addresses[service] ?? ""):\(Self.port)/", host: service, headers: headers, count: count,
            capture: capture, maxSeconds: maxSeconds, perRequestTimeout: perRequestTimeout)
    }

    /// Requests each serving backend counted under `key`, by pod name (the `bad` pod serves nothing).
    func counts(_ key: String) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for backend in backends where backend.pod.name != "bad" {
            result[backend.pod.name] = try backend.pod.echoCounts(port: Self.port).count(key)
        }
        return result
    }

    /// The client Envoy's stats of `service`'s cluster whose name ends with one of `suffixes`, for messages.
    func clusterStats(_ service: String, _ suffixes: [String]) -> [String: String] {
        let prefix = "cluster.\(Self.cluster(service))."
        let stats = (try? client.stats(matching: NSRegularExpression.escapedPattern(for: prefix))) ?? [:]
        return stats.filter { name, _ in suffixes.contains { name.hasSuffix($0) } }
    }

    /// One counter of `service`'s cluster in the client's Envoy.
    func clusterCounter(_ service: String, _ name: String) throws -> Int {
        try client.counter("cluster.\(Self.cluster(service)).\(name)")
    }
}

/// Runs the suite inside one `TrafficDestinationRuleMesh`, built before its first test and torn down after its last.
struct TrafficDestinationRuleMeshScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await MeshNetwork.with(label: "traffic-dr") { network in
            let mesh = try await TrafficDestinationRuleMesh.start(in: network)
            try await TrafficDestinationRuleMesh.$current.withValue(mesh) { try await function() }
        }
    }
}

extension Trait where Self == TrafficDestinationRuleMeshScope {
    /// The suite's tests share one running mesh (`TrafficDestinationRuleMesh.require()`).
    static var trafficDestinationRuleMesh: Self { Self() }
}
