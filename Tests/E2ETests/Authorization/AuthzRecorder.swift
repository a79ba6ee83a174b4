import Foundation

/// One batch of identical requests (or TCP connections) a scenario sent through the real Envoys, with the
/// policies in force and what came back: the input of the simulator agreement test.
struct AuthzObservation: Sendable {
    var scenario: String
    /// The complete `authz.yaml` in force when the requests were sent.
    var policies: String
    var client: String
    var clientNamespace: String
    var clientServiceAccount: String
    var clientIP: String
    var clientHasSidecar: Bool
    var target: AuthzTarget
    /// Nil for TCP connections.
    var request: AuthzRequest?
    /// HTTP statuses (nil: no HTTP answer).
    var statuses: [Int?]
    /// The body of the first answer (who refused: RBAC, jwt_authn, ext_authz).
    var firstBody: String = ""
    var tcpEchoed: Int = 0
    var tcpSent: Int = 0

    /// What the Envoys decided, when all answers agree: 2xx (or every TCP connection echoed) is ALLOW; 401 and
    /// 403 (or no connection echoed) are DENY. Nil when the answers were mixed or meant something else.
    var envoyDecision: String? {
        if request == nil {
            if tcpSent > 0 && tcpEchoed == tcpSent { return "ALLOW" }
            if tcpSent > 0 && tcpEchoed == 0 { return "DENY" }
            return nil
        }
        // No HTTP answer at all: the connection was refused or reset (e.g. plaintext under STRICT).
        if !statuses.isEmpty && statuses.allSatisfy({ $0 == nil }) { return "DENY" }
        guard let first = statuses.first, statuses.allSatisfy({ $0 == first }), let status = first else { return nil }
        if (200..<300).contains(status) { return "ALLOW" }
        if status == 401 || status == 403 { return "DENY" }
        return nil
    }
}

/// Collects the observations of every scenario. Thread-safe.
final class AuthzRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var observations: [AuthzObservation] = []

    func record(_ observation: AuthzObservation) {
        lock.withLock { observations.append(observation) }
    }

    var all: [AuthzObservation] { lock.withLock { observations } }

    /// One line per scenario: how many requests got each status.
    func tally(of scenario: String) -> String {
        var counts: [String: Int] = [:]
        for observation in all where observation.scenario == scenario {
            if observation.request == nil {
                counts["tcp echoed", default: 0] += observation.tcpEchoed
                counts["tcp refused", default: 0] += observation.tcpSent - observation.tcpEchoed
            } else {
                for status in observation.statuses { counts[status.map(String.init) ?? "no answer", default: 0] += 1 }
            }
        }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}
