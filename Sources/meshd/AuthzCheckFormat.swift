import AuthzSimulator
import Foundation
import MeshModel
import Yams

/// One simulated request and its decision.
struct AuthzCheckRow: Sendable {
    var index: Int
    var spec: AuthorizationCheckRequest
    var proxy: Proxy
    var decision: AuthorizationDecision

    var name: String { spec.name ?? "#\(index)" }

    /// nil when the request states no expectation.
    var expectationMet: Bool? {
        spec.expect.map { $0.uppercased() == decision.verdict.rawValue }
    }
}

/// Text and JSON output of `meshd authz check`.
enum AuthzCheckFormat {
    static func text(_ rows: [AuthzCheckRow], single: Bool) -> String {
        if single, let row = rows.first {
            var out = "\(row.decision.verdict.rawValue)\n"
            out +=
                "  decided by: \(row.decision.policy.map { "AuthorizationPolicy \($0) (RBAC policy \($0.rbacName))" } ?? "-")\n"
            out += "  reason:     \(row.decision.reason)\n"
            out += "  proxy:      \(row.proxy.id) (\(row.proxy.kind.rawValue))\n"
            out += "  listener:   \(row.decision.listener), filter chain \(row.decision.filterChain)\n"
            for note in row.decision.notes { out += "  note:       \(note)\n" }
            return out
        }
        let header = ["REQUEST", "DESTINATION", "VERDICT", "DECIDED BY", "EXPECT", "REASON"]
        let table = rows.map { row -> [String] in
            let expect: String
            switch row.expectationMet {
            case nil: expect = "-"
            case true?: expect = "ok"
            case false?: expect = "FAIL (\(row.spec.expect ?? ""))"
            }
            let notes = row.decision.notes.isEmpty ? "" : " [\(row.decision.notes.joined(separator: "; "))]"
            return [
                row.name, "\(row.proxy.podName).\(row.proxy.namespace):\(row.decision.listener)",
                row.decision.verdict.rawValue,
                row.decision.policy?.description ?? "-", expect, row.decision.reason + notes,
            ]
        }
        let widths = header.indices.map { column in
            ([header] + table).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }
        var out = line(header)
        for row in table { out += line(row) }
        let failed = rows.filter { $0.expectationMet == false }.count
        let checked = rows.filter { $0.expectationMet != nil }.count
        if checked > 0 { out += "\(checked - failed)/\(checked) expectations met\n" }
        return out
    }

    struct JSONRow: Encodable {
        var request: String
        var proxy: String
        var verdict: String
        var status: Int?
        var policy: String?
        var rbacPolicy: String?
        var reason: String
        var listener: String
        var filterChain: String
        var notes: [String]
        var expectationMet: Bool?
    }

    static func json(_ rows: [AuthzCheckRow]) -> String {
        let out = rows.map { row in
            JSONRow(
                request: row.name, proxy: row.proxy.id, verdict: row.decision.verdict.rawValue,
                status: row.decision.status,
                policy: row.decision.policy?.description, rbacPolicy: row.decision.policy?.rbacName,
                reason: row.decision.reason,
                listener: row.decision.listener, filterChain: row.decision.filterChain, notes: row.decision.notes,
                expectationMet: row.expectationMet)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(out)).map { String(decoding: $0, as: UTF8.self) } ?? "[]") + "\n"
    }
}

/// A `--requests` file: `requests: [...]`.
struct AuthzRequestFile: Decodable {
    var requests: [AuthorizationCheckRequest]

    static func read(_ path: String) throws -> [AuthorizationCheckRequest] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SimulationInputError(field: path, reason: "cannot read the file")
        }
        do {
            return try YAMLDecoder().decode(AuthzRequestFile.self, from: text).requests
        } catch {
            throw SimulationInputError(
                field: path, reason: "not a requests file (requests: [{from, to, method, path, ...}]): \(error)")
        }
    }
}
