import Foundation

/// The whole status page: one self-contained HTML document (inline CSS, no script, no external asset)
/// that reloads itself every `refreshSeconds`. Pure: the same model gives the same bytes.
enum StatusPage {
    static let refreshSeconds = 5

    static func render(_ model: StatusPageModel) -> String {
        let generated = ISO8601DateFormatter().string(from: model.generatedAt)
        let ready = model.mesh.notReady.isEmpty
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>meshd status</title>
            <style>\(StatusPageStyle.css)</style>
            </head><body>
            <header><h1>meshd</h1>
            <span class="badge \(ready ? "ok" : "bad")" id="readiness">\(ready ? "READY" : "NOT READY")</span>
            <span class="meta">version \(HTML.escape(model.meshdVersion)) · generated \(generated) · refreshes every \(refreshSeconds) s</span>
            </header>
            <main>
            \(MeshSection.render(model.mesh))\(ProxySection.render(model.proxies))\(NackSection.render(model.nacks))\(AuthorizationSection.render(model.authorization))\
            \(ChangeSection.render(model.changes))\(CertificateSection.render(model.certificates, sdsProxies: model.sdsProxies, now: model.generatedAt))
            </main>
            <footer>JSON: \(links)</footer>
            </body></html>

            """
    }

    /// The machine-readable endpoints behind each section.
    static let links = [
        "/debug/syncz", "/debug/nacks", "/debug/changes", "/debug/configz", "/debug/registryz",
        "/debug/connections", "/debug/push_status", "/metrics", "/version",
    ]
    .map { "<a href=\"\($0)\">\($0)</a>" }.joined(separator: " · ")
}
