import Foundation
import MeshTestSupport
import Testing

/// The mesh every authorization scenario runs in, built once per suite:
///
/// - `foo/httpbin` (sidecar; echo on 8000, TCP echo on 9000) and `foo/demo-app` (sidecar; echo on 8000): the
///   servers whose sidecars enforce the policies;
/// - clients with sidecars and real mTLS identities from meshd's CA: `foo/sleep` (sa `sleep`), `foo/other`
///   (sa `other`) and `bar/sleep` (sa `sleep` in another namespace);
/// - `foo/plain`, a pod without a sidecar (plaintext, no certificate);
/// - `foo/ext-authz`, the external authorization service (no sidecar), behind the Service `ext-authz`;
/// - `istio-system/ingress`, an ingress gateway (router Envoy) serving `authz.example.com` to httpbin;
/// - a JWKS server on the root namespace's 127.0.0.1 publishing issuer A's key, for `jwksUri`; issuer B's key
///   is only ever given inline (`jwks`).
///
/// Every scenario replaces the one policy file (`authz.yaml`) with its complete set of security objects
/// (`apply`), so no scenario depends on another's leftovers.
final class AuthzMesh: @unchecked Sendable {
    static let policyFile = "authz.yaml"
    static let issuerA = "https://issuer-a.meshd.test"
    static let issuerB = "https://issuer-b.meshd.test"
    static let audience = "httpbin.foo"

    @TaskLocal static var current: AuthzMesh?

    /// istio-proxy runs Envoy with `--drain-strategy immediate` (and a 45 s drain): when a policy changes a filter
    /// chain, connections opened before the change keep the old chain until they close, and are closed at the
    /// end of the drain. The drain here is 1 s so that a scenario does not wait 45 s for the connections that the
    /// previous one left pooled in the clients' Envoys.
    static let drainFlags = ["--drain-strategy", "immediate", "--drain-time-s", "1"]

    let network: MeshNetwork
    let meshd: MeshdProcess
    let jwksServer: JWKSServer
    let extAuthz: ExtAuthzServer
    /// ES256, published at the JWKS server (`jwksUri`).
    let issuerA: JWTIssuer
    /// RS256, given inline (`jwks`) only.
    let issuerB: JWTIssuer
    let httpbin: Sidecar
    let demo: Sidecar
    let sleep: Sidecar
    let other: Sidecar
    let barSleep: Sidecar
    let ingress: Sidecar
    let plain: Pod
    let recorder = AuthzRecorder()

    private let lock = NSLock()
    private var policiesInForce: String?
    private var scenario = "setup"

    private init(
        network: MeshNetwork, meshd: MeshdProcess, jwksServer: JWKSServer, extAuthz: ExtAuthzServer, issuerA: JWTIssuer,
        issuerB: JWTIssuer, sidecars: [String: Sidecar], plain: Pod
    ) throws {
        func sidecar(_ name: String) throws -> Sidecar {
            guard let sidecar = sidecars[name] else { throw HarnessError("no sidecar for \(name)") }
            return sidecar
        }
        self.network = network
        self.meshd = meshd
        self.jwksServer = jwksServer
        self.extAuthz = extAuthz
        self.issuerA = issuerA
        self.issuerB = issuerB
        httpbin = try sidecar("httpbin")
        demo = try sidecar("demo-app")
        sleep = try sidecar("sleep")
        other = try sidecar("other")
        barSleep = try sidecar("bar-sleep")
        ingress = try sidecar("ingress")
        self.plain = plain
    }

    static func require() throws -> AuthzMesh {
        guard let current else { throw HarnessError("no authorization mesh: the suite needs the .authzMesh trait") }
        return current
    }

    static func start(in network: MeshNetwork) async throws -> AuthzMesh {
        let httpbin = try network.addPod(
            name: "httpbin", namespace: "foo", labels: ["app": "httpbin"], serviceAccount: "httpbin")
        let demo = try network.addPod(
            name: "demo-app", namespace: "foo", labels: ["app": "demo-app"], serviceAccount: "demo-app")
        let sleep = try network.addPod(
            name: "sleep", namespace: "foo", labels: ["app": "sleep"], serviceAccount: "sleep")
        let other = try network.addPod(
            name: "other", namespace: "foo", labels: ["app": "other"], serviceAccount: "other")
        let barSleep = try network.addPod(
            name: "bar-sleep", namespace: "bar", labels: ["app": "sleep"], serviceAccount: "sleep")
        let plain = try network.addPod(name: "plain", namespace: "foo", labels: ["app": "plain"])
        let extAuthzPod = try network.addPod(name: "ext-authz", namespace: "foo", labels: ["app": "ext-authz"])
        let ingress = try network.addPod(
            name: "ingress", namespace: "istio-system", labels: ["istio": "ingressgateway"],
            serviceAccount: "istio-ingressgateway")
        for pod in [plain, extAuthzPod, ingress] { try pod.removeInterception() }

        let suffix = network.prefix
        let issuerA = try JWTIssuer(issuer: Self.issuerA, keyID: "a-\(suffix)")
        let issuerB = try JWTIssuer(issuer: Self.issuerB, keyID: "b-\(suffix)", algorithm: .rs256)
        let jwksServer = try await JWKSServer.start(in: network, files: ["jwks.json": try JWTIssuer.jwks([issuerA])])

        let meshConfig = network.scratchDirectory.appendingPathComponent("mesh-config.yaml")
        try AuthzConfig.meshConfig.write(to: meshConfig, atomically: true, encoding: .utf8)
        let sidecarPods = [httpbin, demo, sleep, other, barSleep]
        let meshd = try await MeshdProcess.start(
            in: network,
            configFiles: [
                // The gateway pod has a WorkloadEntry too (no Service selects it), so that `meshd authz check` can
                // name it as a destination.
                "workloads.yaml": AuthzConfig.workloads(sidecarPods: sidecarPods + [ingress], extAuthz: extAuthzPod),
                "gateway.yaml": AuthzConfig.gateway,
            ],
            extraArguments: ["--mesh-config", meshConfig.path])

        for pod in [httpbin, demo] { try await pod.startEchoServer(service: pod.name, port: AuthzConfig.httpPort) }
        try await AuthzTCP.startServer(in: httpbin, network: network, port: AuthzConfig.tcpPort)
        let extAuthz = try await ExtAuthzServer.start(in: extAuthzPod, network: network, port: AuthzConfig.httpPort)

        var sidecars: [String: Sidecar] = [:]
        for pod in sidecarPods {
            sidecars[pod.name] = try pod.startSidecar(
                bootstrapJSON: meshd.bootstrap(for: pod), envoyArguments: Self.drainFlags)
        }
        sidecars[ingress.name] = try ingress.startSidecar(
            bootstrapJSON: meshd.bootstrap(for: ingress, extraArguments: ["--type", "router"]),
            envoyArguments: Self.drainFlags)
        for sidecar in sidecars.values { try await sidecar.waitUntilReady() }

        let mesh = try AuthzMesh(
            network: network, meshd: meshd, jwksServer: jwksServer, extAuthz: extAuthz, issuerA: issuerA,
            issuerB: issuerB, sidecars: sidecars, plain: plain)
        // With no policy at all, every client reaches both servers over mTLS, and the gateway reaches httpbin.
        _ = try await Poll.until("the first requests through the mesh", timeout: .seconds(30)) { () -> Bool? in
            for client in [mesh.sleep, mesh.other, mesh.barSleep] {
                for target in [AuthzTarget.httpbin, .demo] {
                    let outcome = try await mesh.rawSend(
                        AuthzRequest("/warmup"), from: client.pod, to: target, count: 1)
                    guard outcome.all(200) else { return nil }
                }
            }
            return try await mesh.rawSend(AuthzRequest("/warmup"), from: plain, to: .gateway, count: 1).all(200)
                ? true : nil
        }
        return mesh
    }

    // MARK: Policies

    /// The complete `authz.yaml` last put in force by `apply` (empty before the first).
    var currentPolicies: String { lock.withLock { policiesInForce ?? "" } }

    /// Makes `documents` the complete set of security objects in force, and returns once meshd holds exactly
    /// them and every proxy they affect has accepted the change (`/debug/changes`). Throws at once, quoting
    /// meshd, if meshd refuses one of them or a proxy NACKs the result.
    func apply(_ documents: [PolicyDocument], scenario: String) async throws {
        lock.withLock { self.scenario = scenario }
        let content = PolicyDocument.file(documents)
        if lock.withLock({ policiesInForce == content }) { return }
        let baseline = try latestChangeID()
        try meshd.writeConfig(Self.policyFile, content)
        let expected = Set(documents.map(\.key))
        let securityKinds = ["AuthorizationPolicy/", "RequestAuthentication/", "PeerAuthentication/"]
        let deadline = ContinuousClock.now + .seconds(20)
        var lastSeen = "nothing yet"
        while true {
            let status = try meshd.configz()
            let refusals = status.errors.filter { ($0.file ?? "").hasSuffix(Self.policyFile) }
            if !refusals.isEmpty {
                throw HarnessError("meshd refused the policies of \(scenario): \(refusals.map(\.message))")
            }
            let inForce = Set(status.objects.map(\.key).filter { key in securityKinds.contains { key.hasPrefix($0) } })
            let changes = try self.changes().filter { $0.id > baseline }
            if let rejected = changes.first(where: { $0.summary.rejected > 0 }) {
                let body = (try? meshd.admin("/debug/changes").body.prefix(4000)) ?? ""
                throw HarnessError("a proxy rejected change \(rejected.id) of \(scenario): \(body)")
            }
            if inForce == expected, let last = changes.last, last.summary.converged {
                break
            }
            lastSeen = "in force \(inForce.sorted()), changes \(changes.map { "\($0.id): \($0.summary.text)" })"
            if ContinuousClock.now >= deadline {
                throw HarnessError(
                    "policies of \(scenario) not in force after 20 s (expected \(expected.sorted())); \(lastSeen)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        lock.withLock { policiesInForce = content }
        for sidecar in [httpbin, demo, ingress] {
            try await waitUntilNoListenerWarms(sidecar)
            // Kept for whoever reads a failure: what each enforcing Envoy ran during the scenario.
            let dump = try sidecar.admin("/config_dump?resource=dynamic_listeners")
            let name = "listeners-" + scenario.map { $0.isLetter || $0.isNumber ? $0 : "-" } + ".json"
            try? dump.body.write(
                to: sidecar.pod.directory.appendingPathComponent(String(name)), atomically: true, encoding: .utf8)
        }
    }

    /// Waits (bounded) until `sidecar`'s listener dump contains `text` (e.g. a key id meshd inlined from a
    /// fetched JWKS): what is in force asynchronously after `apply`.
    func waitUntilListeners(of sidecar: Sidecar, contain text: String, what: String) async throws {
        _ = try await Poll.until("\(what) in \(sidecar.pod.name)'s listeners", timeout: .seconds(30)) { () -> Bool? in
            let dump = try sidecar.admin("/config_dump?resource=dynamic_listeners")
            return dump.status == 200 && dump.body.contains(text) ? true : nil
        }
        try await waitUntilNoListenerWarms(sidecar)
    }

    /// New connections use a new listener only once it is no longer warming, and connections opened before a
    /// change stay on the old filter chains until those have drained (and closed them).
    private func waitUntilNoListenerWarms(_ sidecar: Sidecar) async throws {
        _ = try await Poll.until(
            "\(sidecar.pod.name)'s listeners to finish warming and draining", timeout: .seconds(15)
        ) {
            () -> Bool? in
            let dump = try sidecar.admin("/config_dump?resource=dynamic_listeners")
            guard dump.status == 200, !dump.body.contains("\"warming_state\""),
                !dump.body.contains("\"draining_state\"")
            else {
                return nil
            }
            let draining = try sidecar.stats(matching: "^listener_manager\\.total_(filter_chains|listeners)_draining$")
            return draining.values.allSatisfy { $0 == "0" } ? true : nil
        }
    }

    private struct Change: Decodable {
        struct Summary: Decodable {
            var converged: Bool
            var rejected: Int
            var text: String
        }

        var id: Int
        var summary: Summary
    }

    private func changes() throws -> [Change] {
        let response = try meshd.admin("/debug/changes")
        guard response.status == 200 else { throw HarnessError("/debug/changes answered \(response.status)") }
        return try response.decode([Change].self).sorted { $0.id < $1.id }
    }

    private func latestChangeID() throws -> Int { try changes().last?.id ?? 0 }

    // MARK: Traffic

    /// Sends `request` `count` times from `client` to `target` and records what a user saw, with the decision
    /// that status stands for, for the simulator agreement test.
    func send(
        _ request: AuthzRequest, from client: Pod, to target: AuthzTarget, count: Int = 3
    ) async throws
        -> AuthzOutcome
    {
        let outcome = try await rawSend(request, from: client, to: target, count: count)
        recorder.record(
            AuthzObservation(
                scenario: lock.withLock { scenario }, policies: lock.withLock { policiesInForce ?? "" },
                client: client.name, clientNamespace: client.namespace, clientServiceAccount: client.serviceAccount,
                clientIP: client.ip, clientHasSidecar: client.name != plain.name, target: target, request: request,
                statuses: outcome.answers.map(\.status), firstBody: outcome.answers.first?.body ?? ""))
        return outcome
    }

    func rawSend(
        _ request: AuthzRequest, from client: Pod, to target: AuthzTarget, count: Int
    ) async throws
        -> AuthzOutcome
    {
        let (address, port, host) = endpoint(of: target, from: client)
        return try await AuthzHTTPClient.send(
            request, from: client, address: address, port: port, host: host, count: count)
    }

    /// Opens `count` TCP connections from `client` to httpbin's TCP echo port, through both sidecars.
    func connectTCP(from client: Pod, count: Int = 3) async throws -> AuthzTCP.Summary {
        let summary = try await AuthzTCP.connect(
            from: client, network: network, address: AuthzConfig.httpbinVIP, port: AuthzConfig.tcpPort, count: count)
        recorder.record(
            AuthzObservation(
                scenario: lock.withLock { scenario }, policies: lock.withLock { policiesInForce ?? "" },
                client: client.name, clientNamespace: client.namespace, clientServiceAccount: client.serviceAccount,
                clientIP: client.ip, clientHasSidecar: true, target: .httpbinTCP, request: nil,
                statuses: [], tcpEchoed: summary.echoed, tcpSent: summary.sent))
        return summary
    }

    /// Where a client sends to reach `target`: a sidecar client uses the Service VIP (its Envoy routes it); the
    /// plain pod has no sidecar and must name a pod address (or the gateway's).
    private func endpoint(of target: AuthzTarget, from client: Pod) -> (String, Int, String) {
        switch target {
        case .httpbin, .httpbinTCP:
            return (
                client.name == plain.name ? httpbin.pod.ip : AuthzConfig.httpbinVIP, AuthzConfig.httpPort,
                AuthzConfig.httpbinHost
            )
        case .demo:
            return (
                client.name == plain.name ? demo.pod.ip : AuthzConfig.demoVIP, AuthzConfig.httpPort,
                AuthzConfig.demoHost
            )
        case .gateway:
            return (ingress.pod.ip, AuthzConfig.gatewayPort, AuthzConfig.gatewayHost)
        }
    }

    // MARK: Tokens

    func bearer(_ token: String) -> [String: String] { ["authorization": "Bearer \(token)"] }

    /// A valid token of issuer A for httpbin's audience.
    func tokenA(subject: String = "alice", claims: [String: Any] = [:]) throws -> String {
        try issuerA.token(subject: subject, audiences: [Self.audience], claims: claims)
    }
}

/// Where a scenario's requests go.
enum AuthzTarget: String, Sendable, Codable {
    case httpbin, demo, gateway
    case httpbinTCP = "httpbin-tcp"
}

/// Builds the authorization mesh before the suite's first test and tears it down after its last.
struct AuthzMeshScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await MeshNetwork.with(label: "authz") { network in
            let mesh = try await AuthzMesh.start(in: network)
            try await AuthzMesh.$current.withValue(mesh) { try await function() }
        }
    }
}

extension Trait where Self == AuthzMeshScope {
    /// The suite's tests share one running authorization mesh (`AuthzMesh.require()`).
    static var authzMesh: Self { Self() }
}
