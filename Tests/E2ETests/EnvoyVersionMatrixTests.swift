import Foundation
import MeshTestSupport
import Testing

/// meshd against every Envoy release it supports (`EnvoyRelease.matrix`: 1.36.2, 1.39.3, 1.40.0, each from its own
/// venv), over SotW and over Delta ADS: for each of the six cells one reviews mesh (meshd, a client and three reviews
/// pods, every sidecar on that release and mode) runs the routing checks of `ReviewsMeshTests` (prefix match,
/// header match, weighted split, live edit, `/config_dump` versions equal to `/debug/syncz`'s). Then every Envoy's
/// log and counters must show no deprecated field, no unknown field and no rejected update (`EnvoyConfigAudit`).
///
/// Each cell prints one line, `EnvoyVersionMatrix | <version> | <mode> | <seconds> s | ...`: Docs/testing.md's
/// matrix table comes from them.
@Suite(
    "Envoy version matrix: the reviews mesh on Envoy 1.36.2, 1.39.3 and 1.40.0, SotW and Delta", .serialized,
    .tags(.e2e, .envoy))
struct EnvoyVersionMatrixTests {
    /// One release in one ADS mode.
    struct Cell: Sendable, CustomTestStringConvertible {
        var release: EnvoyRelease
        var delta: Bool
        var mode: String { delta ? "Delta" : "SotW" }
        var testDescription: String { "\(release) \(mode)" }
    }

    static let cells = EnvoyRelease.matrix.flatMap {
        [Cell(release: $0, delta: false), Cell(release: $0, delta: true)]
    }

    /// Requests of the weighted-split check, as in `ReviewsMeshTests` (the share of v1 must be in [0.72, 0.88]); they
    /// take about 1.5 s.
    static let splitRequests = 500

    @Test(
        "the routing checks pass and no Envoy warns about deprecated or unknown fields or rejects an update",
        arguments: cells)
    func routingChecks(_ cell: Cell) async throws {
        let started = ContinuousClock.now
        let label = "matrix-\(cell.release.version)-\(cell.mode.lowercased())"
        let (setup, liveEdit) = try await MeshNetwork.with(label: label) { network in
            let mesh = try await ReviewsMesh.start(in: network, delta: cell.delta, release: cell.release)
            let setup = ContinuousClock.now - started
            for sidecar in mesh.sidecars {
                // The cell runs what it says: that release, that ADS mode.
                let serverInfo = try sidecar.admin("/server_info").json() as? [String: Any]
                let version = serverInfo?["version"] as? String ?? ""
                #expect(version.contains("/\(cell.release.version)/"), "\(sidecar.pod.name) runs \(version)")
                #expect(
                    try sidecar.configDump().adsAPIType == (cell.delta ? "DELTA_GRPC" : "GRPC"),
                    "\(sidecar.pod.name) is not on \(cell.mode) ADS")
            }

            try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)
            try await mesh.checkVersionsMatchSyncz()
            try await mesh.checkMatchRouting()
            try await mesh.checkWeightedSplit(requests: Self.splitRequests)
            let liveEdit = try await mesh.checkLiveEdit()
            // After the edit too, every Envoy runs what syncz says it ACKed.
            try await mesh.checkVersionsMatchSyncz()

            for sidecar in mesh.sidecars {
                let audit = try sidecar.configAudit()
                #expect(audit.problems.isEmpty, "\(sidecar.pod.name) on \(cell.testDescription):\n\(audit)")
                // One update_rejected counter per subscription: CDS, LDS, route 9080 and the EDS clusters at least.
                #expect(audit.rejectionCounters.count >= 4, "\(sidecar.pod.name): \(audit.rejectionCounters)")
            }
            return (setup, liveEdit)
        }
        let total = ContinuousClock.now - started
        print(
            "EnvoyVersionMatrix | \(cell.release.version) | \(cell.mode) | \(Self.seconds(total)) s | setup "
                + "\(Self.seconds(setup)) s | live edit \(Self.seconds(liveEdit)) s")
    }

    @Test(
        "each release reports a deprecated field where the audit reads it, and nothing for its replacement",
        arguments: EnvoyRelease.matrix)
    func auditFindsDeprecatedFields(_ release: EnvoyRelease) async throws {
        let envoy = try EnvoyBinary.path(release)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // What istiod writes (and meshd wrote before); and what meshd writes now.
        let deprecated = try await Self.run(
            envoy, routeAction: #""max_grpc_timeout": "0s""#, in: directory, name: "deprecated")
        #expect(
            deprecated.deprecationLines.contains { $0.contains("RouteAction.max_grpc_timeout") },
            "\(release) did not log max_grpc_timeout as the audit expects: \(deprecated)")
        #expect(deprecated.counters["runtime.deprecated_feature_use", default: 0] > 0, "\(release): \(deprecated)")
        let replacement = try await Self.run(
            envoy,
            routeAction: #""max_stream_duration": {"max_stream_duration": "0s", "grpc_timeout_header_max": "0s"}"#,
            in: directory, name: "replacement")
        #expect(replacement.deprecationLines.isEmpty, "\(release): \(replacement)")
        #expect(replacement.counters["runtime.deprecated_feature_use"] == 0, "\(release): \(replacement)")
    }

    /// Runs `envoy` on 127.0.0.1 with `bootstrap(routeAction:)` until its admin answers, and audits its log and its
    /// `runtime.deprecated_feature_use` counter.
    static func run(
        _ envoy: String, routeAction: String, in directory: URL, name: String
    ) async throws -> EnvoyConfigAudit {
        let bootstrap = directory.appendingPathComponent("\(name).json")
        let addressFile = directory.appendingPathComponent("\(name)-admin")
        try Self.bootstrap(routeAction: routeAction).write(to: bootstrap, atomically: true, encoding: .utf8)
        let process = try ManagedProcess.start(
            name: "envoy (\(name))",
            argv: [
                envoy, "-c", bootstrap.path, "--disable-hot-restart", "--admin-address-path", addressFile.path,
                "--concurrency", "1",
            ],
            logFile: directory.appendingPathComponent("\(name).log"))
        defer { process.stop() }
        let value = try await Poll.until("Envoy (\(name)) to report its counters", timeout: .seconds(20)) {
            () -> String? in
            try process.checkRunning()
            guard let address = try? String(contentsOf: addressFile, encoding: .utf8), !address.isEmpty else {
                return nil
            }
            let stats = try HTTPProbe.get("http://\(address)/stats?filter=deprecated_feature_use$")
            return stats.status == 200 && stats.body.contains("deprecated_feature_use: ") ? stats.body : nil
        }
        var counters: [String: Int] = [:]
        for line in value.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, let number = Int(parts[1]) { counters[parts[0]] = number }
        }
        return EnvoyConfigAudit(log: try String(contentsOf: process.logFile, encoding: .utf8), counters: counters)
    }

    /// A bootstrap with one static listener whose only route carries `routeAction`'s fields.
    static func bootstrap(routeAction: String) -> String {
        """
        {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
         "static_resources": {
           "clusters": [{"name": "c", "type": "STATIC", "load_assignment": {"cluster_name": "c", "endpoints": []}}],
           "listeners": [{"name": "l", "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
             "filter_chains": [{"filters": [{"name": "hcm", "typed_config": {
               "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
               "stat_prefix": "x",
               "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
               "route_config": {"virtual_hosts": [{"name": "v", "domains": ["*"],
                 "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "c", \(routeAction)}}]}]}}}]}]}]}}
        """
    }

    static func seconds(_ duration: Duration) -> String {
        let components = duration.components
        let value = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return String(format: "%.1f", value)
    }
}
