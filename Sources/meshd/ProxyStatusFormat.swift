import Foundation

/// Renders `meshd proxy-status` output: the table of every proxy and one proxy's detail. Pure, so the exact
/// text can be tested.
enum ProxyStatusFormat {
    /// Table columns for the xDS types, in Istio's order.
    static let types = ["cds", "lds", "eds", "rds", "sds"]
    /// NACK messages are cut to this many characters in the table; the detail view shows them whole.
    static let tableMessageLimit = 60

    /// `NAME CLUSTER CDS LDS EDS RDS SDS VERSION`, one row per proxy, columns padded to their widest cell. When the
    /// entries come from several replicas (`--etcd-endpoints`), a `REPLICA` column says which one serves each proxy,
    /// and VERSION is that replica's.
    static func table(_ entries: [ProxyStatusEntry], version: String) -> String {
        let replicas = entries.contains { $0.replica != nil }
        var rows = [["NAME", "CLUSTER"] + types.map { $0.uppercased() } + (replicas ? ["REPLICA"] : []) + ["VERSION"]]
        for entry in entries {
            rows.append(
                [entry.name, entry.cluster] + types.map { cell(entry.sync.types[$0]) }
                    + (replicas ? [entry.replica ?? "-"] : []) + [entry.replicaVersion ?? version])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, text in
                column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "   ")
        }.joined(separator: "\n") + "\n"
    }

    /// SYNCED, `STALE (4.2s)`, `NACKED: <first line of Envoy's error>` or `NOT SENT`.
    static func cell(_ state: AdminJSON.TypeSync?) -> String {
        guard let state else { return "NOT SENT" }
        switch state.status {
        case "SYNCED": return "SYNCED"
        case "STALE": return "STALE (\(age(state.sentAgeSeconds)))"
        case "NACKED": return "NACKED: \(shorten(firstLine(state.lastNack?.error ?? ""), to: tableMessageLimit))"
        case "NOT_SENT": return "NOT SENT"
        case "NOT_FOUND":
            let first = (state.notFound ?? [:]).sorted { $0.key < $1.key }.first
            return "NOT FOUND: \(shorten(first.map { "\($0.key): \($0.value)" } ?? "", to: tableMessageLimit))"
        default: return state.status
        }
    }

    /// One proxy in full: per type its state, the sent and ACKed versions, nonces and resource names, and for a
    /// NACK Envoy's whole message with the objects that produced the rejected resources.
    static func detail(_ entry: ProxyStatusEntry, nacks: [AdminJSON.NackExplanation], version: String) -> String {
        var lines = [
            "Proxy:      \(entry.name)",
            "Node ID:    \(entry.sync.proxy)",
            "Cluster:    \(entry.cluster)",
            "Connected:  \(age(entry.sync.connectedSeconds)) ago (connection \(entry.sync.connectionID)"
                + (entry.connection?.remotePeer.map { ", peer \($0)" } ?? "") + ")",
            "meshd:      \(entry.replicaVersion ?? version)",
        ]
        if let replica = entry.replica { lines.append("Replica:    \(replica)") }
        for type in types {
            lines.append("")
            let state = entry.sync.types[type]
            lines.append(
                "\(type.uppercased())  \(cell(state).split(separator: ":").first.map(String.init) ?? "NOT SENT")")
            guard let state else { continue }
            if let sent = state.sentVersion {
                lines.append(
                    "  sent:      version \(sent), nonce \(state.sentNonce ?? "-"), \(age(state.sentAgeSeconds)) ago")
            }
            lines.append("  acked:     " + (state.ackedVersion.map { "version \($0)" } ?? "nothing yet"))
            for (name, reason) in (state.notFound ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append("  not found: \(name): \(reason)")
            }
            let names = state.resourceNames ?? []
            lines.append("  resources: \(names.count)" + (names.isEmpty ? "" : ": " + list(names, limit: 12)))
            guard state.status == "NACKED", let nack = state.lastNack else { continue }
            lines.append(
                "  rejected:  version \(nack.version ?? "-"), nonce \(nack.nonce ?? "-"), at \(nack.at ?? "-")")
            lines.append("  rejected resources: " + list(nack.resourceNames ?? [], limit: 12))
            lines.append("  error:")
            lines += (nack.error ?? "").split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
            let sources = nacks.filter { $0.proxy == entry.sync.proxy && $0.type == type }.flatMap(\.sources)
            if !sources.isEmpty {
                lines.append("  produced by:")
                lines += sources.map { "    \($0.resource) <- \($0.object) (\($0.source))" }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The proxy named `query`: by node id, by `pod.namespace`, or by pod name when only one proxy has it.
    static func find(_ query: String, in entries: [ProxyStatusEntry]) -> ProxyStatusEntry? {
        if let exact = entries.first(where: { $0.sync.proxy == query || $0.name == query }) { return exact }
        let byPod = entries.filter { $0.name.split(separator: ".").first.map(String.init) == query }
        return byPod.count == 1 ? byPod.first : nil
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: true).first ?? "")
    }

    static func shorten(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(max(0, limit - 3))) + "..."
    }

    /// `850ms`, `4.2s`, `3m12s`, `2h05m`; `?` when unknown.
    static func age(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 1 { return "\(Int(seconds * 1000))ms" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds)
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", (whole % 3600) / 60))m"
    }

    private static func list(_ names: [String], limit: Int) -> String {
        let shown = names.prefix(limit).joined(separator: ", ")
        return names.count > limit ? shown + ", ... (\(names.count - limit) more)" : shown
    }
}
