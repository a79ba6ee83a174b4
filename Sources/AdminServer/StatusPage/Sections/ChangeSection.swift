/// Renders `id="changes"`: the recent accepted changes, newest first (`tr.change`, `data-change` = id),
/// each with what it touched and how far it got: "converged on N of M in X ms", or who is still missing.
enum ChangeSection {
    /// Objects named per change before the list is cut.
    static let objectLimit = 4

    static func render(_ changes: [ChangeJSON]) -> String {
        guard !changes.isEmpty else {
            return """
                <section id="changes"><h2>Recent changes</h2>
                <p class="empty">No change since meshd started.</p></section>

                """
        }
        return """
            <section id="changes"><h2>Recent changes</h2>
            <table class="changes"><thead><tr><th>#</th><th>Published</th><th>Trigger</th><th>Objects</th><th>Convergence</th></tr></thead><tbody>
            \(changes.map(row).joined(separator: "\n"))
            </tbody></table></section>

            """
    }

    static func row(_ change: ChangeJSON) -> String {
        let objects = change.objects.prefix(objectLimit).map { object in
            "<li\(HTML.attribute("title", object.source))><span class=\"action \(HTML.escape(object.action))\">"
                + "\(HTML.escape(object.action))</span> \(HTML.escape(object.key))</li>"
        }
        let more =
            change.objects.count > objectLimit
            ? "<li class=\"more\">+\(change.objects.count - objectLimit) more</li>" : ""
        let published = change.publishedAt.split(separator: "T").last.map(String.init) ?? change.publishedAt
        return "<tr class=\"change \(state(change))\"\(HTML.attribute("data-change", String(change.id)))>"
            + "<td class=\"id\">\(change.id)</td><td class=\"age\"\(HTML.attribute("title", change.publishedAt))>"
            + "\(HTML.escape(published))</td><td>\(HTML.escape(change.trigger))</td>"
            + "<td><ul class=\"objects\">\(objects.joined())\(more)</ul></td><td class=\"convergence\">\(convergence(change))</td></tr>"
    }

    /// converged, rejected, pending or unaffected: the row's colour.
    static func state(_ change: ChangeJSON) -> String {
        let summary = change.summary
        if summary.rejected > 0 { return "rejected" }
        if summary.affected == 0 && summary.pending == 0 { return "unaffected" }
        return summary.converged ? "converged" : "pending"
    }

    static func convergence(_ change: ChangeJSON) -> String {
        let summary = change.summary
        var text = HTML.escape(summary.text)
        if let time = summary.timeToLastAckMs { text += " in \(HTML.milliseconds(time))" }
        var html = "<span class=\"summary\">\(text)</span>"
        if change.proxies.isEmpty {
            html += "<span class=\"detail\">no proxy was connected</span>"
        } else if summary.affected == 0 && summary.pending == 0 {
            html += "<span class=\"detail\">no proxy's config changed</span>"
        }
        let stragglers = change.proxies.filter { summary.stragglers.contains($0.proxy) }
        if !stragglers.isEmpty {
            html += "<ul class=\"stragglers\">" + stragglers.map(straggler).joined() + "</ul>"
        }
        return html
    }

    static func straggler(_ state: ChangeJSON.ProxyState) -> String {
        var detail = state.state
        if let types = state.pendingTypes, !types.isEmpty {
            detail += ": waiting for ACK of \(types.joined(separator: ", "))"
        }
        if let nack = state.nack { detail = "NACKED \(nack.type): \(HTML.firstLine(nack.error, limit: 120))" }
        return "<li class=\"straggler\"\(HTML.attribute("data-proxy", state.proxy))>"
            + "<span class=\"proxy-name\">\(HTML.escape(state.proxy))</span> — \(HTML.escape(detail))</li>"
    }
}
