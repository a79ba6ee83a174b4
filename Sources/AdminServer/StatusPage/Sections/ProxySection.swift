/// Renders `id="proxies"`: one `tr.proxy` per connected proxy (`data-proxy` = node id) and one cell per
/// xDS type (`data-type`, `data-status`) saying SYNCED, STALE with its wait, NACKED with the first line of
/// Envoy's error, or NOT SENT.
enum ProxySection {
    static func render(_ rows: [ProxySyncRow]) -> String {
        let headers = ProxySyncRow.columns.map { "<th>\($0.shortName.uppercased())</th>" }.joined()
        guard !rows.isEmpty else {
            return """
                <section id="proxies"><h2>Proxies</h2>
                <p class="empty">No proxy is connected.</p></section>

                """
        }
        return """
            <section id="proxies"><h2>Proxies <span class="count">\(rows.count)</span></h2>
            <table class="sync"><thead><tr><th>Proxy</th>\(headers)<th>Connected</th></tr></thead><tbody>
            \(rows.map(row).joined(separator: "\n"))
            </tbody></table></section>

            """
    }

    static func row(_ row: ProxySyncRow) -> String {
        let name: String
        if let parts = row.nodeParts {
            name =
                "<span class=\"workload\">\(HTML.escape(parts.workload))</span>"
                + "<span class=\"node\">\(HTML.escape(parts.kind)) · \(HTML.escape(parts.ip))</span>"
        } else {
            name = "<span class=\"workload\">\(HTML.escape(row.proxy))</span>"
        }
        let cells = row.cells.map(cell).joined()
        return
            "<tr class=\"proxy\"\(HTML.attribute("data-proxy", row.proxy))><td class=\"name\"\(HTML.attribute("title", row.proxy))>"
            + "\(name)</td>\(cells)<td class=\"age\">\(HTML.age(seconds: row.connectedSeconds))</td></tr>"
    }

    static func cell(_ cell: ProxySyncRow.Cell) -> String {
        let attributes =
            "class=\"type \(cell.status.lowercased())\"" + HTML.attribute("data-type", cell.type)
            + HTML.attribute("data-status", cell.status) + HTML.attribute("title", versions(cell))
        var body = "<span class=\"badge\">\(HTML.escape(cell.status.replacingOccurrences(of: "_", with: " ")))</span>"
        if let waiting = cell.waitingSeconds {
            body += "<span class=\"detail\">waiting \(HTML.age(seconds: waiting))</span>"
        }
        if let error = cell.error {
            body += "<span class=\"detail error\">\(HTML.escape(HTML.firstLine(error)))</span>"
        }
        return "<td \(attributes)>\(body)</td>"
    }

    static func versions(_ cell: ProxySyncRow.Cell) -> String {
        guard let sent = cell.sentVersion else { return "nothing sent" }
        return "sent \(sent), acked \(cell.ackedVersion ?? "none")"
    }
}
