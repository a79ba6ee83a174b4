import Foundation
import MeshTestSupport
import Testing

/// A small mesh for the VirtualService HTTP features: meshd in the root namespace, a `client` pod, an `echo`
/// pod (the Service `echo`) and a `shadow` pod (the Service `shadow`, a mirror target), each with a sidecar and,
/// for the backends, an echo server on 8080.
///
/// One mesh serves the whole `TrafficHTTPTests` suite. Tests run one at a time; each first puts its own
/// VirtualService for `echo` in force (`apply`), and steers and counts the backends with its own `x-echo-key`,
/// so tests do not depend on each other's order.
final class TrafficHTTPMesh: @unchecked Sendable {
    static let port = 8080
    static let echoIP = "10.96.0.30"
    static let shadowIP = "10.96.0.31"
    static let routeName = "\(port)"
    static let virtualServiceFile = "echo-virtualservice.yaml"
    static let echoCluster = "outbound|\(port)||echo.default.svc.cluster.local"

    @TaskLocal static var current: TrafficHTTPMesh?

    let meshd: MeshdProcess
    let client: Sidecar
    let echo: Sidecar
    let shadow: Sidecar

    private let lock = NSLock()
    private var fileContent: String

    private init(meshd: MeshdProcess, client: Sidecar, echo: Sidecar, shadow: Sidecar, virtualService: String) {
        self.meshd = meshd
        self.client = client
        self.echo = echo
        self.shadow = shadow
        self.fileContent = virtualService
    }

    static func require() throws -> TrafficHTTPMesh {
        guard let current else {
            throw HarnessError("no HTTP traffic mesh: the suite needs the .trafficHTTPMesh trait")
        }
        return current
    }

    // MARK: - Configuration

    static func services(_ pods: [Pod]) -> String {
        let services = [("echo", echoIP), ("shadow", shadowIP)].map { name, ip in
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: \(name)
              namespace: default
            spec:
              clusterIP: \(ip)
              selector:
                app: \(name)
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

    /// A VirtualService for `echo` whose `http` list is `httpRoutes` (YAML list items at column 0).
    static func virtualService(_ httpRoutes: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: echo
          namespace: default
        spec:
          hosts:
          - echo
          http:
        \(httpRoutes.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }.joined(separator: "\n"))
        """
    }

    static let plainVirtualService = virtualService(
        """
        - name: plain
          route:
          - destination:
              host: echo
        """)

    // MARK: - Life cycle

    static func start(in network: MeshNetwork) async throws -> TrafficHTTPMesh {
        let clientPod = try network.addPod(name: "client", labels: ["app": "client"], serviceAccount: "client")
        let echoPod = try network.addPod(name: "echo-1", labels: ["app": "echo"], serviceAccount: "echo")
        let shadowPod = try network.addPod(name: "shadow-1", labels: ["app": "shadow"], serviceAccount: "shadow")
        let pods = [clientPod, echoPod, shadowPod]
        let meshd = try await MeshdProcess.start(
            in: network,
            configFiles: [
                "services.yaml": services(pods),
                virtualServiceFile: plainVirtualService,
            ])
        try await echoPod.startEchoServer(service: "echo", port: port)
        try await shadowPod.startEchoServer(service: "shadow", port: port)
        var sidecars: [Sidecar] = []
        for pod in pods { sidecars.append(try pod.startSidecar(bootstrapJSON: meshd.bootstrap(for: pod))) }
        for sidecar in sidecars { try await sidecar.waitUntilReady() }
        let mesh = TrafficHTTPMesh(
            meshd: meshd, client: sidecars[0], echo: sidecars[1], shadow: sidecars[2],
            virtualService: plainVirtualService)
        _ = try await Poll.until("the client's first requests to reach echo", timeout: .seconds(20)) {
            let traffic = try await mesh.send(count: 3, maxSeconds: 5)
            return traffic.ok == 3 ? traffic : nil
        }
        return mesh
    }

    // MARK: - Operations

    /// The version of route configuration "8080" that the client's Envoy runs.
    func clientRouteVersion() throws -> String? {
        try client.configDump().routeVersions[Self.routeName]
    }

    /// Puts a VirtualService for `echo` in force and returns once the client's Envoy runs the new routes. Every
    /// VirtualService a test applies names its routes differently from the others, so its routes differ.
    ///
    /// On a timeout the error quotes meshd's errors for the file and the client's last RDS NACK.
    func apply(_ yaml: String) async throws {
        if lock.withLock({ fileContent == yaml }) { return }
        let before = try clientRouteVersion()
        try meshd.writeConfig(Self.virtualServiceFile, yaml)
        lock.withLock { fileContent = yaml }
        do {
            _ = try await Poll.until("the client's Envoy to run the new routes", timeout: .seconds(10)) {
                let version = try clientRouteVersion()
                return version != nil && version != before ? true : nil
            }
        } catch {
            throw HarnessError("\(error); \(diagnosis())")
        }
    }

    /// meshd's errors about the VirtualService file and the client's last NACK, for failure messages.
    func diagnosis() -> String {
        let errors =
            (try? meshd.configz().errors.filter { ($0.file ?? $0.message).contains(Self.virtualServiceFile) }) ?? []
        let sync = (try? meshd.syncz())?.first { $0.proxy == client.pod.nodeID }
        let nacks = (sync?.types ?? [:]).compactMap { type, status in
            status.lastNack.map { "\(type): \($0.error ?? "?")" }
        }
        return "meshd errors for \(Self.virtualServiceFile): \(errors.map(\.message)); client NACKs: \(nacks)"
    }

    /// Sends at most `count` requests from the client to the `echo` VIP with `Host: echo`, capturing the first
    /// `capture` answers complete.
    func send(
        path: String = "/", headers: [String: String] = [:], count: Int = 1, capture: Int = 1,
        maxSeconds: Double = 20, perRequestTimeout: Double = 5
    ) async throws -> CapturedTraffic {
        try await client.pod.exchange(
            "http://\(Self.echoIP):\(Self.port)\(path)", host: "echo", headers: headers, count: count,
            capture: capture, maxSeconds: maxSeconds, perRequestTimeout: perRequestTimeout)
    }

    /// What the echo (or shadow) backend counted.
    func echoCounts() throws -> EchoCounts { try echo.pod.echoCounts(port: Self.port) }
    func shadowCounts() throws -> EchoCounts { try shadow.pod.echoCounts(port: Self.port) }

    /// The route the client's Envoy runs for `echo`, from its config_dump, as JSON text (for failure messages).
    func clientRoutesJSON() -> String {
        guard let dump = try? client.admin("/config_dump?resource=dynamic_route_configs"), dump.status == 200 else {
            return "(no config_dump)"
        }
        guard let root = try? dump.json() as? [String: Any],
            let configs = root["configs"] as? [[String: Any]],
            let echoHost = configs.compactMap({ $0["route_config"] as? [String: Any] })
                .filter({ $0["name"] as? String == Self.routeName })
                .flatMap({ ($0["virtual_hosts"] as? [[String: Any]]) ?? [] })
                .first(where: { ($0["name"] as? String)?.hasPrefix("echo.") == true }),
            let data = try? JSONSerialization.data(withJSONObject: echoHost, options: [.sortedKeys]),
            let text = String(data: data, encoding: .utf8)
        else { return "(no echo virtual host in config_dump)" }
        return text
    }
}

/// Runs the suite inside one `TrafficHTTPMesh`, built before its first test and torn down after its last.
struct TrafficHTTPMeshScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await MeshNetwork.with(label: "traffic-http") { network in
            let mesh = try await TrafficHTTPMesh.start(in: network)
            try await TrafficHTTPMesh.$current.withValue(mesh) { try await function() }
        }
    }
}

extension Trait where Self == TrafficHTTPMeshScope {
    /// The suite's tests share one running mesh (`TrafficHTTPMesh.require()`).
    static var trafficHTTPMesh: Self { Self() }
}
