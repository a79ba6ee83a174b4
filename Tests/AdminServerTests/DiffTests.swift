import Foundation
import MeshTestSupport
import Testing

@testable import AdminServer

/// `meshd diff` and `POST /debug/diff` against a running in-process meshd with `XDSClient` proxies.
@Suite("meshd diff (in-process meshd, XDSClient proxies)")
struct DiffTests {
    /// Writes `files` into a fresh input directory (not meshd's config directory) and returns its path.
    static func input(_ meshd: InProcessMeshd, _ files: [String: String]) throws -> String {
        let directory = meshd.directory.appendingPathComponent("diff-input-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, yaml) in files {
            try yaml.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory.path
    }

    /// POSTs `files` to `/debug/diff` and returns the status and JSON.
    static func post(_ meshd: InProcessMeshd, _ files: [String: String]) async throws -> (Int, [String: Any]) {
        let body = try JSONSerialization.data(
            withJSONObject: files.sorted { $0.key < $1.key }.map { ["file": $0.key, "content": $0.value] })
        let response = try await meshd.post("/debug/diff", json: body)
        let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8))
        return (response.status, json as? [String: Any] ?? [:])
    }

    /// `type name action` for every resource of every proxy in a diff answer.
    static func resources(_ answer: [String: Any]) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for proxy in answer["proxies"] as? [[String: Any]] ?? [] {
            let rows = (proxy["resources"] as? [[String: Any]] ?? []).map {
                "\($0["type"] as? String ?? "") \($0["name"] as? String ?? "") \($0["action"] as? String ?? "")"
            }
            result[proxy["name"] as? String ?? ""] = Set(rows)
        }
        return result
    }

    @Test(
        "editing the VirtualService changes RDS 9080 only; adding a Service adds its clusters, listener and route; nothing is applied"
    )
    func goodInput() async throws {
        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let proxies = [
                OpsConfig.proxy("productpage-v1", ip: "10.44.0.5"), OpsConfig.proxy("details-v1", ip: "10.44.0.6"),
            ]
            try await withProxies(proxies, on: meshd) {
                try await meshd.waitUntilSynced(proxies.map(\.nodeID))
                let versionBefore = meshd.store.snapshot().version
                let changesBefore = try await meshd.changes().count

                // A VirtualService edit: one changed route configuration per proxy, with a readable diff.
                let edit = try Self.input(meshd, ["vs.yaml": OpsConfig.virtualService(to: "v2")])
                let result = try await InProcessMeshd.cli(["diff", "--admin", meshd.adminURL, edit])
                #expect(result.status == 0, "\(result.stderr)")
                for proxy in proxies {
                    #expect(
                        result.stdout.contains("\n\(proxy.name): +0 -0 ~1\n  ~ rds 9080\n      @@ "), "\(result.stdout)"
                    )
                }
                let diffLines = result.stdout.split(separator: "\n").map(String.init)
                for (sign, subset) in [("-", "v1"), ("+", "v2")] {
                    let cluster = "\"cluster\" : \"outbound|9080|\(subset)|\(OpsConfig.reviewsFQDN)\""
                    #expect(
                        diffLines.contains { $0.hasPrefix("      \(sign) ") && $0.contains(cluster) },
                        "\(result.stdout)")
                }
                #expect(result.stdout.contains("updated   VirtualService/default/reviews"), "\(result.stdout)")
                let (status, answer) = try await Self.post(meshd, ["vs.yaml": OpsConfig.virtualService(to: "v2")])
                #expect(status == 200)
                #expect(answer["applied"] as? Bool == false)
                #expect(
                    Self.resources(answer)
                        == Dictionary(uniqueKeysWithValues: proxies.map { ($0.name, Set(["rds 9080 changed"])) }))

                // --summary: counts only.
                let summary = try await InProcessMeshd.cli(["diff", "--admin", meshd.adminURL, "--summary", edit])
                #expect(summary.stdout.contains("productpage-v1.default: +0 -0 ~1\n"), "\(summary.stdout)")
                #expect(!summary.stdout.contains("rds 9080"), "\(summary.stdout)")

                // A new Service: its clusters, endpoints, listener and route configuration are added, and the
                // unchanged VirtualService (same content as in force) changes nothing.
                let (_, added) = try await Self.post(
                    meshd, ["ratings.yaml": OpsConfig.ratings, "vs.yaml": OpsConfig.virtualService(to: "v1")])
                let rows = Self.resources(added)["productpage-v1.default"] ?? []
                let ratings = "ratings.default.svc.cluster.local"
                #expect(rows.contains("cds outbound|9091||\(ratings) added"), "\(rows)")
                #expect(rows.contains("lds 0.0.0.0_9091 added"), "\(rows)")
                #expect(rows.contains("rds 9091 added"), "\(rows)")
                #expect(rows.allSatisfy { $0.hasSuffix(" added") }, "only additions expected: \(rows)")
                #expect(!rows.contains { $0.hasPrefix("sds ") }, "secrets must never appear: \(rows)")
                let objects = (added["objects"] as? [[String: Any]] ?? []).map {
                    "\($0["action"] as? String ?? "") \($0["key"] as? String ?? "")"
                }
                #expect(
                    objects == ["added Service/default/ratings", "unchanged VirtualService/default/reviews"],
                    "\(objects)")

                // Nothing was applied.
                #expect(meshd.store.snapshot().version == versionBefore)
                #expect(try await meshd.changes().count == changesBefore)
                try await meshd.waitUntilSynced(proxies.map(\.nodeID))
            }
        }
    }

    @Test("an EnvoyFilter shows, before it is applied, as the clusters it changes on each proxy it selects")
    func envoyFilter() async throws {
        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let proxies = [
                OpsConfig.proxy("productpage-v1", ip: "10.44.0.5"), OpsConfig.proxy("details-v1", ip: "10.44.0.6"),
            ]
            try await withProxies(proxies, on: meshd) {
                try await meshd.waitUntilSynced(proxies.map(\.nodeID))
                let filter = """
                    apiVersion: networking.istio.io/v1alpha3
                    kind: EnvoyFilter
                    metadata: {name: reviews-timeout, namespace: default}
                    spec:
                      configPatches:
                      - applyTo: CLUSTER
                        match:
                          context: SIDECAR_OUTBOUND
                          cluster: {service: \(OpsConfig.reviewsFQDN), subset: v2}
                        patch:
                          operation: MERGE
                          value: {connect_timeout: 4s}
                    """
                let (status, answer) = try await Self.post(meshd, ["filter.yaml": filter])
                #expect(status == 200)
                #expect(answer["applied"] as? Bool == false)
                let changed = Set(["cds outbound|9080|v2|\(OpsConfig.reviewsFQDN) changed"])
                #expect(
                    Self.resources(answer)
                        == Dictionary(uniqueKeysWithValues: proxies.map { ($0.name, changed) }), "\(answer)")
                let result = try await InProcessMeshd.cli(
                    ["diff", "--admin", meshd.adminURL, try Self.input(meshd, ["filter.yaml": filter])])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.contains("\"connectTimeout\" : \"4s\""), "\(result.stdout)")
                #expect(result.stdout.contains("added     EnvoyFilter/default/reviews-timeout"), "\(result.stdout)")
            }
        }
    }

    @Test("input with errors prints them as file:line: Kind/ns/name: field.path: reason, exits 1, and applies nothing")
    func badInput() async throws {
        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let versionBefore = meshd.store.snapshot().version
            let directory = try Self.input(
                meshd, ["vs.yaml": OpsConfig.zeroWeightSplit, "ratings.yaml": OpsConfig.ratings])
            let result = try await InProcessMeshd.cli(["diff", "--admin", meshd.adminURL, directory])
            #expect(result.status == 1)
            #expect(
                result.stdout == """
                    \(directory)/vs.yaml:10: VirtualService/default/reviews: spec.http[0].route: total destination weight = 0
                    1 error: nothing compared, nothing applied

                    """, "\(result.stdout)")
            let (status, answer) = try await Self.post(meshd, ["vs.yaml": OpsConfig.zeroWeightSplit])
            #expect(status == 422)
            #expect((answer["proxies"] as? [Any])?.isEmpty == true)
            #expect(meshd.store.snapshot().version == versionBefore)
            #expect(meshd.store.diagnostics().isEmpty, "a dry run must not leave errors in the running config")
        }
    }

    @Test("the line diff gives unified hunks with context and stays bounded")
    func lineDiff() {
        let old = (1...20).map { "line \($0)" }
        var new = old
        new[9] = "line ten"
        new.insert("inserted", at: 15)
        let (lines, truncated) = LineDiff.unified(old: old, new: new, context: 2)
        #expect(!truncated)
        #expect(
            lines == [
                "@@ -8,5 +8,5 @@", " line 8", " line 9", "-line 10", "+line ten", " line 11", " line 12",
                "@@ -14,4 +14,5 @@", " line 14", " line 15", "+inserted", " line 16", " line 17",
            ])
        #expect(LineDiff.unified(old: old, new: old).lines.isEmpty)
        let big = LineDiff.unified(old: (0..<3000).map { "a\($0)" }, new: (0..<3000).map { "b\($0)" })
        #expect(big.truncated)
        #expect(big.lines == ["@@ -1,3000 +1,3000 @@ (too large to diff line by line)"])
    }
}
