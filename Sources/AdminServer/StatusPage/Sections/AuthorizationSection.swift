import AuthzSimulator
import MeshModel

/// One workload's authorization posture on the status page.
struct WorkloadAuthorizationRow: Sendable, Hashable {
    var workload: String
    var posture: AuthorizationSummary.Posture
    /// `ALLOW 2, DENY 1` and so on, dry-run ones counted apart.
    var policies: String
    var jwtIssuers: [String]

    /// Every workload of `snapshot` with the policies that apply to it: not-open ones first, then by name.
    static func rows(_ snapshot: MeshSnapshot) -> [WorkloadAuthorizationRow] {
        snapshot.workloads.map { workload in
            let applied = snapshot.authorizationPolicies(namespace: workload.namespace, labels: workload.labels)
            var counts: [String: Int] = [:]
            for policy in applied {
                counts[policy.action.rawValue + (policy.dryRun ? " (dry-run)" : ""), default: 0] += 1
            }
            let issuers = snapshot.requestAuthentications(namespace: workload.namespace, labels: workload.labels)
                .flatMap { $0.jwtRules.map(\.issuer) }
            return WorkloadAuthorizationRow(
                workload: "\(workload.namespace)/\(workload.origin.name)",
                posture: AuthorizationSummary.posture(snapshot, namespace: workload.namespace, labels: workload.labels),
                policies: counts.keys.sorted().map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", "),
                jwtIssuers: issuers)
        }.sorted { ($0.posture == .open ? 1 : 0, $0.workload) < ($1.posture == .open ? 1 : 0, $1.workload) }
    }
}

/// Renders `id="authorization"`: per workload, default-deny, allow-some or open, from the policies that apply.
enum AuthorizationSection {
    static let rowLimit = 200

    static func render(_ rows: [WorkloadAuthorizationRow]) -> String {
        guard !rows.isEmpty else { return "" }
        let count = { (posture: AuthorizationSummary.Posture) in rows.filter { $0.posture == posture }.count }
        let tiles = [
            MeshSection.tile("authz-default-deny", "Default-deny", count(.defaultDeny)),
            MeshSection.tile("authz-allow-some", "Allow-some", count(.allowSome)),
            MeshSection.tile("authz-open", "Open", count(.open), alarm: count(.open) > 0 ? "warn" : nil),
        ].joined()
        let body = rows.prefix(rowLimit).map { row in
            """
            <tr data-workload="\(HTML.escape(row.workload))" data-posture="\(row.posture.rawValue)">\
            <td>\(HTML.escape(row.workload))</td><td class="posture \(row.posture.rawValue)">\(row.posture.rawValue)</td>\
            <td>\(HTML.escape(row.policies.isEmpty ? "-" : row.policies))</td>\
            <td>\(HTML.escape(row.jwtIssuers.isEmpty ? "-" : row.jwtIssuers.joined(separator: ", ")))</td></tr>
            """
        }.joined(separator: "\n")
        let more = rows.count > rowLimit ? "<p class=\"meta\">… and \(rows.count - rowLimit) more workloads</p>\n" : ""
        return """
            <section id="authorization"><h2>Authorization</h2>
            <div class="tiles">\(tiles)</div>
            <p class="meta">Open: every request no DENY refuses is allowed. Default-deny: ALLOW policies apply and none has a rule. Details per proxy: /debug/authorizationz?proxyID=</p>
            <table class="authorization"><thead><tr><th>Workload</th><th>Posture</th><th>Policies</th><th>JWT issuers</th></tr></thead>
            <tbody>
            \(body)
            </tbody></table>
            \(more)</section>

            """
    }
}
