import Foundation
import MeshTestSupport
import Testing

/// The simulator agreement check: every request a scenario sent through the real Envoys is also given to
/// `meshd authz check` (authz-ops' evaluator of the generated listeners), with the very config directory and mesh
/// config the running meshd reads, and the two must agree on ALLOW or DENY, and on the status a user sees.
extension AuthzMesh {
    /// One row of `meshd authz check --json`.
    struct SimulatedRow: Decodable {
        var request: String
        var verdict: String
        var status: Int?
        var reason: String
    }

    /// Runs the observations of `scenario` made under the policies now in force through `meshd authz check`, and
    /// expects agreement. `extAuthzPaths` are the paths the ext_authz service was asked about during the scenario:
    /// for those, the simulator's CUSTOM ("the external server decides") is the agreeing answer.
    func expectSimulatorAgrees(
        _ scenario: String, extAuthzPaths: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let current = currentPolicies
        let observations = recorder.all.filter { $0.scenario == scenario && $0.policies == current }
        guard !observations.isEmpty else { return }
        let directory = network.scratchDirectory.appendingPathComponent("authz-check-\(UUID().uuidString.prefix(8))")
        let configDirectory = directory.appendingPathComponent("config")
        try FileManager.default.createDirectory(at: configDirectory, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: meshd.configDirectory.path)
        where name.hasSuffix(".yaml") {
            try FileManager.default.copyItem(
                at: meshd.configDirectory.appendingPathComponent(name), to: configDirectory.appendingPathComponent(name)
            )
        }
        var requests: [[String: Any]] = []
        for (index, observation) in observations.enumerated() {
            requests.append(simulatedRequest(observation, name: "r\(index)"))
        }
        let requestsFile = directory.appendingPathComponent("requests.yaml")
        // JSON is YAML: the requests file is written as JSON so that tokens and headers need no quoting rules.
        try JSONSerialization.data(withJSONObject: ["requests": requests], options: [.sortedKeys]).write(
            to: requestsFile)
        let result = try Subprocess.run(
            [
                try MeshdProcess.executable(), "authz", "check", "--config-dir", configDirectory.path, "--mesh-config",
                network.scratchDirectory.appendingPathComponent("mesh-config.yaml").path, "--requests",
                requestsFile.path,
                "--fetch-jwks", "--json",
            ], timeout: .seconds(60))
        guard let rows = try? JSONDecoder().decode([SimulatedRow].self, from: Data(result.stdout.utf8)) else {
            Issue.record(
                "meshd authz check for \(scenario) exited with \(result.status) and no JSON: \(result.stdout.prefix(500)) \(result.stderr.prefix(1500))",
                sourceLocation: sourceLocation)
            return
        }
        let byName = Dictionary(rows.map { ($0.request, $0) }, uniquingKeysWith: { first, _ in first })
        var agreed = 0
        for (index, observation) in observations.enumerated() {
            let what =
                "\(scenario): \(observation.client) → \(observation.target.rawValue) \(observation.request.map(\.description) ?? "TCP")"
            guard let row = byName["r\(index)"] else {
                Issue.record("\(what): meshd authz check gave no row", sourceLocation: sourceLocation)
                continue
            }
            guard let envoy = observation.envoyDecision else {
                Issue.record(
                    "\(what): Envoy's answers were mixed (\(observation.statuses)); nothing to compare",
                    sourceLocation: sourceLocation)
                continue
            }
            if row.verdict == "CUSTOM" {
                let consulted = observation.request.map { extAuthzPaths.contains($0.path) } ?? false
                #expect(
                    consulted,
                    "\(what): the simulator says ext_authz decides, but Envoy did not ask it (\(row.reason))",
                    sourceLocation: sourceLocation)
                if consulted { agreed += 1 }
                continue
            }
            let simulated = row.verdict == "ALLOW" ? "ALLOW" : row.verdict.hasPrefix("DENY") ? "DENY" : row.verdict
            let compare = {
                #expect(
                    simulated == envoy,
                    "\(what): Envoy \(envoy) (statuses \(observation.statuses.map { $0.map(String.init) ?? "none" })), simulator \(row.verdict): \(row.reason)",
                    sourceLocation: sourceLocation)
                if let status = row.status, let seen = observation.statuses.first, observation.request != nil {
                    // A closed connection is status 0 in the simulator and no answer at all for the client.
                    #expect(
                        status == (seen ?? 0),
                        "\(what): Envoy answered \(seen.map(String.init) ?? "nothing"), the simulator says \(status) (\(row.verdict): \(row.reason))",
                        sourceLocation: sourceLocation)
                }
            }
            compare()
            if simulated == envoy { agreed += 1 }
        }
        print("authz simulator agreement for \(scenario): \(agreed)/\(observations.count) request batches agree")
    }

    private func simulatedRequest(_ observation: AuthzObservation, name: String) -> [String: Any] {
        var request: [String: Any] = ["name": name]
        request["from"] =
            observation.clientHasSidecar
            ? ["workload": "\(observation.clientNamespace)/\(observation.client)"]
            : ["plaintext": true, "ip": observation.clientIP]
        switch observation.target {
        case .httpbin:
            request["to"] = ["service": "\(AuthzConfig.httpbinHost):\(AuthzConfig.httpPort)"]
            request["host"] = AuthzConfig.httpbinHost
        case .httpbinTCP:
            request["to"] = ["service": "\(AuthzConfig.httpbinHost):\(AuthzConfig.tcpPort)"]
        case .demo:
            request["to"] = ["service": "\(AuthzConfig.demoHost):\(AuthzConfig.httpPort)"]
            request["host"] = AuthzConfig.demoHost
        case .gateway:
            request["to"] = [
                "workload": "\(ingress.pod.namespace)/\(ingress.pod.name)", "port": AuthzConfig.gatewayPort,
            ]
            request["host"] = AuthzConfig.gatewayHost
        }
        if let http = observation.request {
            request["method"] = http.method
            request["path"] = http.path
            if !http.headers.isEmpty { request["headers"] = http.headers }
        }
        return request
    }
}
