import Foundation
import MeshModel
import Testing

@testable import AdminServer
@testable import Discovery
@testable import XDSServer

/// The status page renderers, driven by real sync states and a real `ChangeTracker`, with no server.
@Suite("Status page renderer")
struct StatusPageRendererTests {
    static let nodeID = "sidecar~10.44.0.10~reviews-v1.default~default.svc.cluster.local"

    @Test("every outside string is escaped: a <script> in config, node ids or Envoy's message stays text")
    func escapesEverything() throws {
        let hostile = "<script>alert('x')</script>&\""
        var status = Self.status(proxy: "sidecar~10.0.0.1~\(hostile)~default.svc.cluster.local")
        status.types[.route] = Self.nacked(message: "regex \(hostile) refused")
        let row = ProxySyncRow(status)
        let nack = NackExplanationJSON(
            proxy: status.proxy, type: .route, nack: try #require(status.types[.route]?.lastNack), sent: [],
            locate: { _ in nil })
        var model = Self.model(proxies: [row], nacks: [nack])
        model.mesh.errors = ["vs.yaml:3: VirtualService/default/r: spec.http[0].match[0].uri.regex: \(hostile)"]

        let html = StatusPage.render(model)

        #expect(!html.contains("<script"), "an unescaped <script> reached the page")
        #expect(!html.contains("alert('x')"), "a quote reached the page unescaped")
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"))
        // Attributes too: the node id sits in data-proxy and title.
        #expect(html.contains("data-proxy=\"sidecar~10.0.0.1~&lt;script&gt;"))
        #expect(HTML.escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;")
    }

    @Test("a NACKed type renders NACKED with the first line of Envoy's error, next to SYNCED, STALE and NOT SENT")
    func nackedProxyRendersFirstLine() {
        var status = Self.status(proxy: Self.nodeID)
        status.types[.cluster] = Self.synced()
        status.types[.listener] = Self.stale(sentSecondsAgo: 3)
        status.types[.route] = Self.nacked(
            message: "RE2 program size 2812 > max program size of 100\nsecond line that must not show")

        let html = ProxySection.render([ProxySyncRow(status)])

        #expect(html.contains("<tr class=\"proxy\" data-proxy=\"\(Self.nodeID)\""))
        let rds = Self.cell(type: "rds", in: html)
        #expect(rds.contains("data-status=\"NACKED\""), "\(rds)")
        #expect(rds.contains(">NACKED<"), "\(rds)")
        #expect(rds.contains("RE2 program size 2812 &gt; max program size of 100"), "\(rds)")
        #expect(!rds.contains("second line"), "only the first line belongs in the cell: \(rds)")
        #expect(Self.cell(type: "cds", in: html).contains("data-status=\"SYNCED\""))
        let lds = Self.cell(type: "lds", in: html)
        #expect(lds.contains("data-status=\"STALE\"") && lds.contains("waiting 3"), "\(lds)")
        let sds = Self.cell(type: "sds", in: html)
        #expect(sds.contains("data-status=\"NOT_SENT\"") && sds.contains(">NOT SENT<"), "\(sds)")
        #expect(html.contains("reviews-v1.default"), "the pod name is shown")
    }

    @Test("a change every affected proxy ACKed renders \"converged on 1 of 1\" with its time")
    func convergedChange() throws {
        let tracker = ChangeTracker()
        tracker.observe(.connected(proxy: Self.nodeID, connection: 7))
        let key = ResourceKey(kind: .virtualService, namespace: "default", name: "reviews")
        tracker.published(
            ConfigChange(
                id: 1, snapshotVersion: "abc", publishedAt: Date(),
                objects: [
                    ObjectChange(
                        key: key, action: .updated, source: SourceLocation(file: "vs.yaml", document: 1, line: 1))
                ]))
        let response = SentResponse(version: "v1", nonce: "n1", resourceNames: ["9080"], generation: 1)
        tracker.observe(
            .sent(
                proxy: Self.nodeID, connection: 7, type: .route, response: response, trigger: .push, bytes: 100,
                duration: .zero))
        tracker.observe(.acknowledged(proxy: Self.nodeID, connection: 7, type: .route, response: response))
        let tracked = try #require(tracker.change(id: 1))

        let html = ChangeSection.render([ChangeJSON(tracked)])

        #expect(html.contains("<tr class=\"change converged\" data-change=\"1\">"), "\(html)")
        #expect(html.contains("converged on 1 of 1 in "), "\(html)")
        #expect(html.contains("VirtualService/default/reviews"))
        #expect(!html.contains("class=\"straggler\""), "a converged change has no stragglers")
    }

    @Test("a change a proxy rejected names it as a straggler with the NACK")
    func rejectedChangeNamesStraggler() throws {
        let tracker = ChangeTracker()
        tracker.observe(.connected(proxy: Self.nodeID, connection: 7))
        tracker.published(ConfigChange(id: 1, snapshotVersion: "abc", publishedAt: Date(), objects: []))
        let response = SentResponse(version: "v1", nonce: "n1", resourceNames: ["9080"], generation: 1)
        tracker.observe(
            .sent(
                proxy: Self.nodeID, connection: 7, type: .route, response: response, trigger: .push, bytes: 100,
                duration: .zero))
        let nack = NackRecord(
            version: "v1", nonce: "n1", resourceNames: ["9080"], message: "bad regex\nmore", code: 3, at: .now)
        tracker.observe(.rejected(proxy: Self.nodeID, connection: 7, type: .route, nack: nack, generation: 1))
        let tracked = try #require(tracker.change(id: 1))

        let html = ChangeSection.render([ChangeJSON(tracked)])

        #expect(html.contains("converged on 0 of 1"), "\(html)")
        #expect(html.contains("class=\"straggler\" data-proxy=\"\(Self.nodeID)\""), "\(html)")
        #expect(html.contains("NACKED rds: bad regex"), "\(html)")
    }

    @Test("without a CA status the page says so, and empty sections say what is absent")
    func placeholders() {
        let html = StatusPage.render(Self.model(proxies: [], nacks: []))
        #expect(html.contains("<p class=\"empty\" id=\"ca-status\">CA: not configured</p>"))
        #expect(html.contains("No proxy is connected."))
        #expect(html.contains("No proxy is rejecting configuration."))
        #expect(html.contains("<meta http-equiv=\"refresh\" content=\"5\">"))
        #expect(!html.contains("src=") && !html.contains("<link"), "the page must load nothing from elsewhere")

        // Secrets sent to a proxy show a CA at work even before its expiry reaches the admin server.
        var status = Self.status(proxy: Self.nodeID)
        status.types[.secret] = Self.synced()
        let withSDS = StatusPage.render(Self.model(proxies: [ProxySyncRow(status)], nacks: []))
        #expect(withSDS.contains("CA: issuing workload certificates (SDS sent to 1 proxy)"))
    }

    @Test("certificate expiry turns amber under 30 days and red once expired")
    func certificateExpiry() {
        let now = Date(timeIntervalSince1970: 1_000_000_000)
        let summary = CertificateSummary(
            rootNotAfter: now.addingTimeInterval(10 * 86_400 + 60), signingCertNotAfter: now.addingTimeInterval(-60),
            isPluginCA: true, issuedCount: 4)
        let html = CertificateSection.render(summary, sdsProxies: 1, now: now)
        #expect(html.contains("CA: plug-in intermediate · 4 certificates issued"), "\(html)")
        #expect(html.contains("<tr class=\"expiry warn\"><th>Root</th>") && html.contains("in 10 days"), "\(html)")
        #expect(
            html.contains("<tr class=\"expiry bad\"><th>Signing certificate</th>") && html.contains("expired"),
            "\(html)")
    }

    // MARK: - Fixtures

    static let emptySnapshot = MeshSnapshot(
        version: "empty", services: [], endpoints: [:], workloads: [], virtualServicesByHost: [:],
        destinationRulesByHost: [:],
        objects: [:])

    static func model(proxies: [ProxySyncRow], nacks: [NackExplanationJSON]) -> StatusPageModel {
        StatusPageModel(
            meshdVersion: "test", generatedAt: Date(timeIntervalSince1970: 0),
            mesh: MeshSummary(
                snapshotVersion: "v", generation: 1, services: 1, workloads: 2, configObjects: 3, errors: [],
                warnings: [],
                notReady: [], connectedProxies: proxies.count),
            proxies: proxies, changes: [], nacks: nacks, certificates: nil)
    }

    static func status(proxy: String) -> ProxySyncStatus {
        ProxySyncStatus(connectionID: 1, proxy: proxy, connectedAt: .now - .seconds(65), types: [:])
    }

    static func synced() -> SotWTypeState {
        var state = SotWTypeState(wildcard: true)
        state.lastSent = SentResponse(version: "c1", nonce: "1", resourceNames: ["a"])
        state.ackedVersion = "c1"
        return state
    }

    static func stale(sentSecondsAgo seconds: Int) -> SotWTypeState {
        var state = SotWTypeState(wildcard: true)
        state.lastSent = SentResponse(version: "l2", nonce: "2", resourceNames: ["a"], at: .now - .seconds(seconds))
        state.ackedVersion = "l1"
        return state
    }

    static func nacked(message: String) -> SotWTypeState {
        var state = SotWTypeState(wildcard: false)
        state.lastSent = SentResponse(version: "r2", nonce: "3", resourceNames: ["9080"])
        state.ackedVersion = "r1"
        state.rejectedVersion = "r2"
        state.lastNack = NackRecord(
            version: "r2", nonce: "3", resourceNames: ["9080"], message: message, code: 3, at: .now)
        return state
    }

    /// The `<td>` of one type in a rendered proxy table.
    static func cell(type: String, in html: String) -> String {
        guard let marker = html.range(of: "data-type=\"\(type)\"") else { return "" }
        let opening: String.Index =
            html[..<marker.lowerBound].range(of: "<td", options: .backwards)?.lowerBound ?? marker.lowerBound
        let closing: String.Index = html[marker.upperBound...].range(of: "</td>")?.upperBound ?? html.endIndex
        return String(html[opening..<closing])
    }
}
