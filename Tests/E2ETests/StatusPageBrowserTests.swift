import Foundation
import MeshTestSupport
import Testing

/// The admin status page (`GET /`) loaded in Debian's headless Chromium while a real sidecar Envoy is connected
/// and rejects one route configuration. The screenshot stays under `test-output/e2e/status-page-*/` for people
/// to look at.
@Suite("Status page in a real browser", .serialized, .tags(.e2e, .chromium))
struct StatusPageBrowserTests {
    static let service = "reviews"
    static let virtualServiceFile = "reviews-virtualservice.yaml"

    @Test("headless Chromium shows the sidecar's per-type sync state, its NACKED RDS and Envoy's error")
    func statusPageInChromium() async throws {
        let chromium = try HeadlessChromium.require()
        let started = ContinuousClock.now
        try await MeshNetwork.with(label: "status-page") { network in
            let pod = try network.addPod(
                name: "productpage", labels: ["app": "productpage"], serviceAccount: "bookinfo-productpage")
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "services.yaml": Self.services(podIP: pod.ip),
                    Self.virtualServiceFile: Self.virtualService(match: "prefix: /v2/"),
                ])
            let sidecar = try pod.startSidecar(bootstrapJSON: meshd.bootstrap(for: pod))
            try await sidecar.waitUntilReady()
            let first = try await Self.ackedRoutes(of: pod, meshd: meshd, otherThan: nil)
            // A change made while the sidecar is connected, so the page has a converged change to show.
            try meshd.writeConfig(Self.virtualServiceFile, Self.virtualService(match: "prefix: /v3/"))
            _ = try await Self.ackedRoutes(of: pod, meshd: meshd, otherThan: first)

            // meshd accepts this regex; Envoy's RE2 refuses it for its program size and NACKs the routes.
            try meshd.writeConfig(
                Self.virtualServiceFile, Self.virtualService(match: "regex: \"^/v2/[a-z]{1,900}[0-9]{1,900}$\""))
            let nack = try await Poll.until("the sidecar to NACK the new routes", timeout: .seconds(20)) {
                try meshd.syncz().first { $0.proxy == pod.nodeID }?.types["rds"]?.lastNack
            }
            let envoyError = try #require(nack.error)
            #expect(envoyError.contains("max program size"), "Envoy's error: \(envoyError)")

            let url = "http://\(meshd.adminAddress)/"
            let profile = network.scratchDirectory.appendingPathComponent("chromium")
            let dom = try chromium.dumpDOM(url, profile: profile)
            try dom.write(
                to: network.outputDirectory.appendingPathComponent("status-page.html"), atomically: true,
                encoding: .utf8)
            try Self.checkDOM(dom, nodeID: pod.nodeID)

            let screenshot = network.outputDirectory.appendingPathComponent("status-page.png")
            try chromium.screenshot(url, to: screenshot, width: 1400, height: 1000, profile: profile)
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG: \(screenshot.path)")
            #expect(
                png.count > 20_000,
                "a 1400×1000 screenshot of the page cannot be \(png.count) bytes: \(screenshot.path)")
            print("status page screenshot: \(screenshot.path) (\(png.count) bytes)")
        }
        print("status page browser test took \(ContinuousClock.now - started)")
    }

    /// Waits until the sidecar ACKed a route configuration version other than `previous`, and returns it.
    static func ackedRoutes(of pod: Pod, meshd: MeshdProcess, otherThan previous: String?) async throws -> String {
        try await Poll.until("the sidecar to ACK new routes", timeout: .seconds(20)) { () -> String? in
            let rds = try meshd.syncz().first { $0.proxy == pod.nodeID }?.types["rds"]
            guard let acked = rds?.ackedVersion, acked == rds?.sentVersion, acked != previous else { return nil }
            return acked
        }
    }

    /// The rendered page has the proxy's row with its RDS cell NACKED and the first line of Envoy's error, the
    /// NACK explained with the VirtualService behind it, and the mesh counts.
    static func checkDOM(_ dom: String, nodeID: String) throws {
        let row = try #require(
            element(in: dom, from: "<tr class=\"proxy\" data-proxy=\"\(nodeID)\"", to: "</tr>"), "no row for \(nodeID)")
        let rds = try #require(element(in: row, from: "data-type=\"rds\"", to: "</td>"), "no rds cell: \(row)")
        #expect(rds.contains("data-status=\"NACKED\""), "\(rds)")
        #expect(rds.contains("NACKED</span>"), "\(rds)")
        #expect(rds.contains("max program size"), "the cell must carry the error's first line: \(rds)")
        let cds = try #require(element(in: row, from: "data-type=\"cds\"", to: "</td>"))
        #expect(cds.contains("data-status=\"SYNCED\""), "\(cds)")

        let nacks = try #require(element(in: dom, from: "<section id=\"nacks\"", to: "</section>"), "no #nacks section")
        #expect(nacks.contains("class=\"nack\" data-proxy=\"\(nodeID)\" data-type=\"rds\""), "\(nacks)")
        #expect(nacks.contains("max program size of 100"), "the whole Envoy message: \(nacks)")
        #expect(nacks.contains("VirtualService/default/\(service)"), "the NACK must name its source object: \(nacks)")
        #expect(nacks.contains(virtualServiceFile), "the NACK must name the file: \(nacks)")

        let changes = try #require(
            element(in: dom, from: "<section id=\"changes\"", to: "</section>"), "no #changes section")
        #expect(changes.contains("converged on 0 of 1"), "the rejected change did not converge: \(changes)")
        #expect(changes.contains("class=\"straggler\" data-proxy=\"\(nodeID)\""), "\(changes)")
        #expect(changes.contains("converged on 1 of 1 in "), "the first config reached the sidecar: \(changes)")

        let mesh = try #require(element(in: dom, from: "<section id=\"mesh\"", to: "</section>"), "no #mesh section")
        #expect(mesh.contains("data-stat=\"services\"><span class=\"value\">2<"), "\(mesh)")
        #expect(mesh.contains("data-stat=\"workloads\"><span class=\"value\">1<"), "\(mesh)")
        #expect(mesh.contains("data-stat=\"errors\"><span class=\"value\">0<"), "\(mesh)")
        #expect(dom.contains("id=\"ca-status\""), "no certificates section")
    }

    /// The text from the first `start` through the next `end`, or nil.
    static func element(in text: String, from start: String, to end: String) -> String? {
        guard let opening = text.range(of: start) else { return nil }
        let closing = text[opening.upperBound...].range(of: end)?.upperBound ?? text.endIndex
        return String(text[opening.lowerBound..<closing])
    }

    /// Two services on port 9080 (so the sidecar's routes "9080" carry the VirtualService) and the pod as a
    /// workload of one of them.
    static func services(podIP: String) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: productpage
          namespace: default
        spec:
          clusterIP: 10.96.0.30
          selector:
            app: productpage
          ports:
          - name: http
            port: 9080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: \(service)
          namespace: default
        spec:
          clusterIP: 10.96.0.20
          selector:
            app: \(service)
          ports:
          - name: http
            port: 9080
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata:
          name: productpage
          namespace: default
        spec:
          address: \(podIP)
          serviceAccount: bookinfo-productpage
          labels:
            app: productpage
        """
    }

    /// The reviews VirtualService with one URI match (`prefix: ...` or `regex: ...`) in front of a default route.
    static func virtualService(match: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: \(service)
          namespace: default
        spec:
          hosts:
          - \(service)
          http:
          - name: preview
            match:
            - uri:
                \(match)
            route:
            - destination:
                host: \(service)
          - route:
            - destination:
                host: \(service)
        """
    }
}
