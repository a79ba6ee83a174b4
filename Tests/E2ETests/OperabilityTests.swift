import Foundation
import MeshTestSupport
import Testing

/// A real Envoy rejecting real config, seen through meshd's operator tools, then the fix converging.
///
/// The VirtualService's regex is valid RE2 and meshd accepts it, but its compiled program (about 3,600
/// instructions) exceeds Envoy's default RE2 program size limit (100), so every Envoy NACKs route `9080`.
@Suite("Operability end to end (meshd + real Envoys)", .tags(.e2e))
struct OperabilityTests {
    static let regexVirtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts:
          - reviews
          http:
          - match:
            - uri:
                regex: "^/v2/[a-z]{1,900}[0-9]{1,900}$"
            route:
            - destination:
                host: reviews
                subset: v2
          - route:
            - destination:
                host: reviews
                subset: v1
        """

    @Test("an Envoy NACK shows in syncz, /debug/changes, proxy-status and /metrics; fixing the file converges")
    func envoyNackThenFix() async throws {
        try await MeshNetwork.with(label: "ops") { network in
            let pods = [
                try network.addPod(name: "client", labels: ["app": "client"], serviceAccount: "client"),
                try network.addPod(
                    name: "reviews-v1", labels: ["app": "reviews", "version": "v1"],
                    serviceAccount: ReviewsConfig.serviceAccount),
            ]
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "reviews.yaml": ReviewsConfig.serviceAndSubsets, "workloads.yaml": Pod.workloadEntries(pods),
                    ReviewsConfig.virtualServiceFile: ReviewsConfig.baseVirtualService,
                ])
            let sidecars = try pods.map { try $0.startSidecar(bootstrapJSON: meshd.bootstrap(for: $0)) }
            for sidecar in sidecars { try await sidecar.waitUntilReady() }
            let nodeIDs = pods.map(\.nodeID)
            _ = try await Poll.until("every proxy SYNCED on every type", timeout: .seconds(20)) { () -> Bool? in
                let table = try await Self.proxyStatus(meshd)
                return table.stdout.split(separator: "\n").dropFirst().count == 2 && !table.stdout.contains("STALE")
                    && !table.stdout.contains("NACKED") && !table.stdout.contains("NOT SENT") ? true : nil
            }

            // meshd accepts the regex; Envoy's RE2 refuses it.
            try meshd.writeConfig(ReviewsConfig.virtualServiceFile, Self.regexVirtualService)
            let nacks = try await Poll.until("syncz to show RDS NACKED on both proxies", timeout: .seconds(20)) {
                () -> [String: String]? in
                let rows = try meshd.syncz()
                var errors: [String: String] = [:]
                for id in nodeIDs {
                    guard let rds = rows.first(where: { $0.proxy == id })?.types["rds"],
                        let error = rds.lastNack?.error,
                        rds.lastNack?.version == rds.sentVersion
                    else { return nil }
                    errors[id] = error
                }
                return errors
            }
            for (id, error) in nacks {
                #expect(error.contains("RE2 program size"), "\(id): \(error)")
                #expect(error.contains("[a-z]{1,900}"), "Envoy's message names the regex: \(error)")
            }
            let envoyMessage = try #require(nacks[pods[0].nodeID])

            // /debug/changes: the change is rejected on every proxy, explained by the VirtualService.
            let rejected = try await Poll.until(
                "the regex change to be rejected on both proxies", timeout: .seconds(20)
            ) {
                () -> [String: Any]? in
                let change = try Self.latestChange(meshd)
                let summary = change["summary"] as? [String: Any] ?? [:]
                return summary["rejected"] as? Int == 2 && summary["pending"] as? Int == 0 ? change : nil
            }
            #expect((rejected["summary"] as? [String: Any])?["text"] as? String == "converged on 0 of 2")
            #expect(
                (rejected["objects"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == [
                    "VirtualService/default/reviews"
                ])
            for row in rejected["proxies"] as? [[String: Any]] ?? [] {
                let nack = row["nack"] as? [String: Any] ?? [:]
                #expect(row["state"] as? String == "rejected", "\(row)")
                #expect(
                    nack["type"] as? String == "rds"
                        && nack["error"] as? String == nacks[row["proxy"] as? String ?? ""], "\(row)")
                let sources = (nack["sources"] as? [[String: Any]] ?? []).compactMap { $0["object"] as? String }
                #expect(sources.contains("VirtualService/default/reviews"), "\(sources)")
            }

            // proxy-status: RDS NACKED with the first line of Envoy's message, for both proxies.
            let table = try await Self.proxyStatus(meshd)
            #expect(table.status == 0, "\(table.stderr)")
            let cut = String(envoyMessage.prefix(57))
            for pod in pods {
                let row =
                    table.stdout.split(separator: "\n").first { $0.hasPrefix("\(pod.name).\(pod.namespace) ") } ?? ""
                let cells = row.components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    !$0.isEmpty
                }
                #expect(cells.count == 8 && cells[5].hasPrefix("NACKED: \(cut)"), "\(table.stdout)")
                #expect(
                    cells.count == 8 && cells[2] == "SYNCED" && cells[3] == "SYNCED" && cells[4] == "SYNCED",
                    "\(table.stdout)")
            }
            let detail = try await Self.proxyStatus(meshd, "client.default")
            #expect(detail.stdout.contains("RDS  NACKED\n"), "\(detail.stdout)")
            #expect(detail.stdout.contains("    9080 <- VirtualService/default/reviews ("), "\(detail.stdout)")

            // /metrics
            let metrics = try meshd.admin("/metrics").body
            let rejects = metrics.split(separator: "\n").first {
                $0.hasPrefix("pilot_total_xds_rejects{type=\"rds\"} ")
            }
            #expect(
                (rejects?.split(separator: " ").last.flatMap { Int($0) } ?? 0) >= 2,
                "\(rejects ?? "no rds rejects line")")

            // The fix converges everywhere, and proxy-status is SYNCED again.
            try meshd.writeConfig(ReviewsConfig.virtualServiceFile, ReviewsConfig.allTo("v1"))
            let fixed = try await Poll.until("the fix to converge on both proxies", timeout: .seconds(20)) {
                () -> [String: Any]? in
                let change = try Self.latestChange(meshd)
                let id = change["id"] as? Int ?? 0
                let summary = change["summary"] as? [String: Any] ?? [:]
                return id > (rejected["id"] as? Int ?? 0) && summary["converged"] as? Bool == true ? summary : nil
            }
            #expect(fixed["text"] as? String == "converged on 2 of 2", "\(fixed)")
            #expect(fixed["timeToLastAckMs"] as? Double != nil, "\(fixed)")
            let after = try await Self.proxyStatus(meshd)
            for line in after.stdout.split(separator: "\n").dropFirst() {
                let cells = line.components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    !$0.isEmpty
                }
                #expect(cells.count == 8 && cells[2...6].allSatisfy { $0 == "SYNCED" }, "\(after.stdout)")
            }
        }
    }

    /// `meshd proxy-status --admin <meshd>` (with a proxy name, its detail).
    static func proxyStatus(_ meshd: MeshdProcess, _ proxy: String? = nil) async throws -> SubprocessResult {
        try await Subprocess.runInBackground(
            [try MeshdProcess.executable(), "proxy-status", "--admin", "http://\(meshd.adminAddress)"]
                + (proxy.map { [$0] } ?? []),
            timeout: .seconds(30))
    }

    /// The newest entry of `/debug/changes`.
    static func latestChange(_ meshd: MeshdProcess) throws -> [String: Any] {
        let changes = try meshd.admin("/debug/changes").json() as? [[String: Any]] ?? []
        guard let latest = changes.first else { throw HarnessError("/debug/changes is empty") }
        return latest
    }
}
