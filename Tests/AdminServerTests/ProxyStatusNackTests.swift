import Foundation
import MeshTestSupport
import Testing

/// One forced NACK seen through every window meshd offers: `/debug/syncz`, `/debug/changes`, `/metrics` and
/// `meshd proxy-status`. They must all say the same thing.
@Suite("A forced NACK, consistently reported (in-process meshd, XDSClient proxies)")
struct ProxyStatusNackTests {
    static let firstLine = "Error adding/updating listener(s) 0.0.0.0_9091: simulated rejection of a new listener"
    static let message = firstLine + "\nsecond line of Envoy's detail"

    @Test(
        "syncz NACKED, changes rejected with Envoy's message, pilot_total_xds_rejects{type=\"lds\"} 1, proxy-status NACKED"
    )
    func nackEverywhere() async throws {
        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let good = OpsConfig.proxy("productpage-v1", ip: "10.44.0.5")
            let nacker = OpsConfig.proxy("details-v1", ip: "10.44.0.6", rejecting: [.listener: Self.message])
            try await withProxies([good, nacker], on: meshd) {
                try await meshd.waitUntilSynced([good.nodeID, nacker.nodeID])
                // Adding a Service adds listener 0.0.0.0_9091, which the nacker rejects.
                try meshd.write("ratings.yaml", OpsConfig.ratings)

                // syncz
                _ = try await Poll.until("syncz to show the nacker's LDS NACKED", timeout: .seconds(20)) {
                    () -> Bool? in
                    try await meshd.syncStatuses()[nacker.nodeID]?["lds"] == "NACKED" ? true : nil
                }
                let rows = try await #require(meshd.json("/debug/syncz") as? [[String: Any]])
                let nackRow = try #require(rows.first { $0["proxy"] as? String == nacker.nodeID })
                let lds = try #require((nackRow["types"] as? [String: [String: Any]])?["lds"])
                let lastNack = try #require(lds["lastNack"] as? [String: Any])
                #expect(lastNack["error"] as? String == Self.message)
                #expect((lastNack["resourceNames"] as? [String])?.contains("0.0.0.0_9091") == true, "\(lastNack)")
                #expect(lds["ackedVersion"] as? String != lds["sentVersion"] as? String)
                try await meshd.waitUntilSynced([good.nodeID])

                // /debug/changes
                let change = try await Poll.until("the change to settle on both proxies", timeout: .seconds(20)) {
                    () -> [String: Any]? in
                    guard let latest = try await meshd.changes().first,
                        let summary = latest["summary"] as? [String: Any],
                        summary["pending"] as? Int == 0, summary["rejected"] as? Int == 1
                    else { return nil }
                    return latest
                }
                let summary = try #require(change["summary"] as? [String: Any])
                #expect(summary["text"] as? String == "converged on 1 of 2", "\(summary)")
                #expect(summary["converged"] as? Bool == false)
                #expect(summary["stragglers"] as? [String] == [nacker.nodeID], "\(summary)")
                let objects = try #require(change["objects"] as? [[String: Any]])
                #expect(objects.map { $0["key"] as? String } == ["Service/default/ratings"], "\(objects)")
                let proxies = try #require(change["proxies"] as? [[String: Any]])
                let rejected = try #require(proxies.first { $0["proxy"] as? String == nacker.nodeID })
                #expect(rejected["state"] as? String == "rejected", "\(rejected)")
                let nack = try #require(rejected["nack"] as? [String: Any])
                #expect(nack["type"] as? String == "lds")
                #expect(nack["error"] as? String == Self.message)
                let sources = nack["sources"] as? [[String: Any]] ?? []
                #expect(
                    sources.contains {
                        $0["resource"] as? String == "0.0.0.0_9091"
                            && $0["object"] as? String == "Service/default/ratings"
                    },
                    "the NACK must be explained by the Service that produced the listener: \(sources)")
                #expect(proxies.first { $0["proxy"] as? String == good.nodeID }?["state"] as? String == "acknowledged")

                // /metrics
                let metrics = try await meshd.get("/metrics").body
                #expect(metrics.contains("pilot_total_xds_rejects{type=\"lds\"} 1\n"), "\(metrics)")
                #expect(metrics.contains("pilot_total_xds_rejects{type=\"rds\"} 0\n"), "\(metrics)")
                // Every response was answered (the NACK too): no bytes are held, but some were.
                func gauge(_ name: String) -> Double? {
                    metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap {
                        $0.split(separator: " ").last
                    }.flatMap { Double($0) }
                }
                #expect(gauge("meshd_xds_unanswered_bytes") == 0, "\(metrics)")
                #expect(gauge("meshd_xds_unanswered_bytes_peak") ?? 0 > 0, "\(metrics)")

                // meshd proxy-status: the table
                let versionJSON = try await meshd.json("/version") as? [String: Any]
                let version = try #require(versionJSON?["version"] as? String)
                let table = try await InProcessMeshd.cli(["proxy-status", "--admin", meshd.adminURL])
                #expect(table.status == 0, "\(table.stderr)")
                let lines = table.stdout.split(separator: "\n").map {
                    $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                }
                #expect(lines.first == "NAME CLUSTER CDS LDS EDS RDS SDS VERSION", "\(table.stdout)")
                let cut = String(Self.firstLine.prefix(57)) + "..."
                #expect(
                    lines.contains(
                        "details-v1.default Kubernetes SYNCED NACKED: \(cut) SYNCED SYNCED NOT SENT \(version)"),
                    "\(table.stdout)")
                #expect(
                    lines.contains("productpage-v1.default Kubernetes SYNCED SYNCED SYNCED SYNCED NOT SENT \(version)"),
                    "\(table.stdout)")

                // meshd proxy-status: one proxy
                let detail = try await InProcessMeshd.cli([
                    "proxy-status", "--admin", meshd.adminURL, "details-v1.default",
                ])
                #expect(detail.status == 0, "\(detail.stderr)")
                #expect(detail.stdout.contains("Node ID:    \(nacker.nodeID)\n"), "\(detail.stdout)")
                #expect(detail.stdout.contains("LDS  NACKED\n"), "\(detail.stdout)")
                #expect(
                    detail.stdout.contains("    \(Self.firstLine)\n    second line of Envoy's detail\n"),
                    "\(detail.stdout)")
                #expect(
                    detail.stdout.contains(
                        "    0.0.0.0_9091 <- Service/default/ratings (\(meshd.path("ratings.yaml")):1"),
                    "\(detail.stdout)")
                #expect(detail.stdout.contains("CDS  SYNCED\n"), "\(detail.stdout)")
                #expect(detail.stdout.contains("SDS  NOT SENT\n"), "\(detail.stdout)")
            }
        }
    }

    @Test("proxy-status exits 1 with a clear message when admin is unreachable or the proxy is unknown")
    func unreachableAndUnknown() async throws {
        let port = try InProcessMeshd.freeLocalPort()
        let unreachable = try await InProcessMeshd.cli(["proxy-status", "--admin", "http://127.0.0.1:\(port)"])
        #expect(unreachable.status == 1)
        #expect(
            unreachable.stderr.hasPrefix("meshd proxy-status: cannot reach meshd admin at http://127.0.0.1:\(port)"),
            "\(unreachable.stderr)")
        #expect(unreachable.stdout.isEmpty)

        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let empty = try await InProcessMeshd.cli(["proxy-status", "--admin", meshd.adminURL])
            #expect(empty.status == 0)
            #expect(empty.stdout == "NAME   CLUSTER   CDS   LDS   EDS   RDS   SDS   VERSION\n")
            let unknown = try await InProcessMeshd.cli(["proxy-status", "--admin", meshd.adminURL, "nobody.default"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("no connected proxy \"nobody.default\""), "\(unknown.stderr)")
        }
    }
}
