import Foundation
import MeshTestSupport
import Testing

/// Who answered a refusal: Envoy's RBAC filter ("RBAC: access denied"), the ext_authz service, jwt_authn for a
/// token whose audience is not allowed (Envoy answers that one 403, not 401), or anyone.
enum Refusal: Sendable {
    case rbac, extAuthz, jwtAudience, any
}

extension AuthzMesh {
    /// Sends `request` `count` times and expects every answer to be `status`. A 200 must come from the target's
    /// own backend; a 403 from `refusedBy`. Returns the answers for further checks.
    @discardableResult
    func expect(
        _ status: Int, _ request: AuthzRequest, from client: Pod, to target: AuthzTarget = .httpbin, count: Int = 3,
        refusedBy: Refusal = .rbac, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> AuthzOutcome {
        let outcome = try await send(request, from: client, to: target, count: count)
        let context = "\(client.namespace)/\(client.name) → \(target.rawValue) \(request)"
        #expect(
            outcome.all(status) && outcome.answers.count == count,
            "\(context): expected \(count)× \(status), got \(outcome)",
            sourceLocation: sourceLocation)
        guard let first = outcome.answers.first, first.status == status else { return outcome }
        switch status {
        case 200:
            let service = target == .demo ? "demo-app" : "httpbin"
            #expect(
                first.echoService == service, "\(context): 200 not from \(service): \(first.body.prefix(200))",
                sourceLocation: sourceLocation)
        case 403 where refusedBy == .rbac:
            #expect(
                first.body == "RBAC: access denied", "\(context): 403 not from RBAC: \(first.body.prefix(200))",
                sourceLocation: sourceLocation)
        case 403 where refusedBy == .extAuthz:
            #expect(
                first.body == "denied by ext_authz", "\(context): 403 not from ext_authz: \(first.body.prefix(200))",
                sourceLocation: sourceLocation)
        case 403 where refusedBy == .jwtAudience:
            #expect(
                first.body == "Audiences in Jwt are not allowed",
                "\(context): 403 not from jwt_authn: \(first.body.prefix(200))",
                sourceLocation: sourceLocation)
        default:
            break
        }
        return outcome
    }

    /// Expects every one of `count` requests to get no HTTP answer at all (the connection is refused or reset).
    func expectNoAnswer(
        _ request: AuthzRequest, from client: Pod, to target: AuthzTarget, count: Int = 3,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let outcome = try await send(request, from: client, to: target, count: count)
        #expect(
            outcome.answers.count == count && outcome.answers.allSatisfy { $0.status == nil },
            "\(client.name) → \(target.rawValue) \(request): expected no HTTP answer, got \(outcome)",
            sourceLocation: sourceLocation)
    }

    /// Expects `count` TCP connections from `client` to httpbin's echo port to be echoed (`allowed`) or all
    /// closed or reset before any byte came back.
    func expectTCP(
        allowed: Bool, from client: Pod, count: Int = 3, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let summary = try await connectTCP(from: client, count: count)
        if allowed {
            #expect(
                summary.sent == count && summary.echoed == count, "\(client.name) TCP: expected echoes, got \(summary)",
                sourceLocation: sourceLocation)
        } else {
            #expect(
                summary.sent == count && summary.echoed == 0, "\(client.name) TCP: expected refusals, got \(summary)",
                sourceLocation: sourceLocation)
            let refusals = [
                "ConnectionResetError", "BrokenPipeError", "ConnectionRefusedError", "closed after 0 bytes",
            ]
            #expect(
                summary.outcomes.keys.allSatisfy { refusals.contains($0) },
                "\(client.name) TCP: a denied connection must be closed or reset, not left hanging: \(summary)",
                sourceLocation: sourceLocation)
        }
    }

    /// Ends one phase of a scenario: checks that `meshd authz check` agrees with what the Envoys did, and prints
    /// the status counts (the figures of the report).
    func finish(
        _ scenario: String, extAuthzPaths: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try expectSimulatorAgrees(scenario, extAuthzPaths: extAuthzPaths, sourceLocation: sourceLocation)
        printTally(scenario)
    }

    /// Prints the scenario's status counts (the figures of the report).
    func printTally(_ scenario: String) {
        print("authz scenario \(scenario): \(recorder.tally(of: scenario))")
        // Kept for whoever reads a failure: the enforcing Envoys' counters after the scenario.
        for sidecar in [httpbin, demo, ingress] {
            guard let stats = try? sidecar.admin("/stats") else { continue }
            let name = "stats-" + String(scenario.map { $0.isLetter || $0.isNumber ? $0 : "-" }) + ".txt"
            try? stats.body.write(
                to: sidecar.pod.directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
    }
}
