/// Renders `id="nacks"`: every rejection in force (`div.nack` with `data-proxy` and `data-type`), with the
/// resources Envoy refused, its whole message, and the config objects (file and line) that produced them.
enum NackSection {
    static func render(_ nacks: [NackExplanationJSON]) -> String {
        guard !nacks.isEmpty else {
            return """
                <section id="nacks"><h2>NACKs</h2>
                <p class="empty ok">No proxy is rejecting configuration.</p></section>

                """
        }
        return """
            <section id="nacks"><h2>NACKs <span class="count bad">\(nacks.count)</span></h2>
            \(nacks.map(card).joined(separator: "\n"))
            </section>

            """
    }

    static func card(_ nack: NackExplanationJSON) -> String {
        let resources =
            nack.resourceNames.isEmpty
            ? "<em>none named</em>"
            : nack.resourceNames.prefix(20).map { "<code>\(HTML.escape($0))</code>" }.joined(separator: " ")
        var sources = ""
        if !nack.sources.isEmpty {
            let items = nack.sources.map { source in
                "<li><code>\(HTML.escape(source.resource))</code> ← <strong>\(HTML.escape(source.object))</strong>"
                    + " <span class=\"source\">\(HTML.escape(source.source))</span></li>"
            }
            sources =
                "<div class=\"field\"><span class=\"key\">Produced by</span><ul class=\"sources\">\(items.joined())</ul></div>"
        }
        return """
            <div class="nack"\(HTML.attribute("data-proxy", nack.proxy))\(HTML.attribute("data-type", nack.type))>
            <div class="nack-head"><span class="badge">NACKED</span> <strong>\(HTML.escape(nack.type.uppercased()))</strong> \
            on <span class="proxy-name">\(HTML.escape(nack.proxy))</span> <span class="age">\(HTML.age(seconds: nack.ageSeconds)) ago</span></div>
            <div class="field"><span class="key">Rejected</span>\(resources) <span class="meta">version \(HTML.escape(nack.version))</span></div>
            <div class="field"><span class="key">Envoy said</span><pre class="error">\(HTML.escape(nack.error))</pre></div>
            \(sources)</div>
            """
    }
}
