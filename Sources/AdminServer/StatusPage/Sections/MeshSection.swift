/// Renders `id="mesh"`: counts of what the snapshot in force holds, readiness, and every validation
/// error and warning of the config store.
enum MeshSection {
    /// Diagnostics listed per kind before the list is cut (configz has all of them).
    static let diagnosticLimit = 25

    static func render(_ mesh: MeshSummary) -> String {
        let tiles = [
            tile("services", "Services", mesh.services),
            tile("workloads", "Workloads", mesh.workloads),
            tile("config-objects", "Config objects", mesh.configObjects),
            tile("proxies-connected", "Proxies connected", mesh.connectedProxies),
            tile("errors", "Validation errors", mesh.errors.count, alarm: mesh.errors.isEmpty ? nil : "bad"),
            tile("warnings", "Warnings", mesh.warnings.count, alarm: mesh.warnings.isEmpty ? nil : "warn"),
        ].joined()
        var html = """
            <section id="mesh"><h2>Mesh</h2>
            <div class="tiles">\(tiles)</div>
            <p class="meta">Snapshot <code>\(HTML.escape(mesh.snapshotVersion))</code> · generation \(mesh.generation)</p>

            """
        if !mesh.notReady.isEmpty {
            html +=
                "<p class=\"notice bad\" id=\"not-ready\">Not ready: \(HTML.escape(mesh.notReady.joined(separator: "; ")))</p>\n"
        }
        html += diagnostics(
            mesh.errors, kind: "error", title: "Validation errors (the last good version stays in force)")
        html += diagnostics(mesh.warnings, kind: "warning", title: "Warnings")
        return html + "</section>\n"
    }

    static func tile(_ id: String, _ label: String, _ value: Int, alarm: String? = nil) -> String {
        let modifier = alarm.map { " \($0)" } ?? ""
        return "<div class=\"tile\(modifier)\" data-stat=\"\(id)\"><span class=\"value\">\(value)</span>"
            + "<span class=\"label\">\(HTML.escape(label))</span></div>"
    }

    static func diagnostics(_ messages: [String], kind: String, title: String) -> String {
        guard !messages.isEmpty else { return "" }
        let items = messages.prefix(diagnosticLimit).map { "<li class=\"diagnostic \(kind)\">\(HTML.escape($0))</li>" }
        let more =
            messages.count > diagnosticLimit
            ? "<li class=\"more\">… and \(messages.count - diagnosticLimit) more in /debug/configz</li>" : ""
        return "<h3>\(HTML.escape(title))</h3><ul class=\"diagnostics\" id=\"\(kind)s\">\(items.joined())\(more)</ul>\n"
    }
}
