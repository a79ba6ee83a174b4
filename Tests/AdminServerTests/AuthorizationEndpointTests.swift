import Foundation
import MeshTestSupport
import Testing

/// `/debug/authorizationz`, the status page's posture and NACK tracing, against an in-process meshd fed YAML files.
@Suite("Authorization debug endpoints (in-process meshd, XDSClient proxies)")
struct AuthorizationEndpointTests {
    static let policies = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: reviews-allow
          namespace: default
        spec:
          selector:
            matchLabels:
              app: reviews
          rules:
          - to:
            - operation:
                methods: ["GET"]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: deny-admin
          namespace: default
        spec:
          action: DENY
          rules:
          - to:
            - operation:
                paths: ["/admin*"]
        """

    static let nackMessage = "Error adding/updating listener(s) virtualInbound: RBAC validation failed"

    @Test("authorizationz lists the policies with their files and what they became; NACKs trace to them")
    func authorizationzAndNackTracing() async throws {
        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let reviews = OpsConfig.proxy("reviews-v1", ip: "10.44.0.11", rejecting: [.listener: Self.nackMessage])
            try await withProxies([reviews], on: meshd) {
                try await meshd.waitUntilSynced([reviews.nodeID])
                #expect(try await meshd.get("/debug/authorizationz").status == 400)
                #expect(try await meshd.get("/debug/authorizationz?proxyID=nope.default").status == 404)
                let open = try #require(
                    try await meshd.json("/debug/authorizationz?proxyID=reviews-v1.default") as? [String: Any])
                #expect(open["posture"] as? String == "open")

                try meshd.write("authz.yaml", Self.policies)
                let answer = try await Poll.until("authorizationz to show the policies", timeout: .seconds(20)) {
                    () -> [String: Any]? in
                    let json =
                        try await meshd.json("/debug/authorizationz?proxyID=reviews-v1.default") as? [String: Any]
                    return (json?["policies"] as? [Any])?.count == 2 ? json : nil
                }
                #expect(answer["posture"] as? String == "allow-some")
                let policies = try #require(answer["policies"] as? [[String: Any]])
                #expect(policies.map { $0["name"] as? String ?? "" } == ["deny-admin", "reviews-allow"])
                #expect(
                    policies.allSatisfy { ($0["source"] as? String)?.contains("authz.yaml:") == true }, "\(policies)")
                let filters = try #require(answer["filters"] as? [[String: Any]])
                let deny = filters.first {
                    $0["action"] as? String == "DENY" && $0["listener"] as? String == "virtualInbound"
                }
                #expect((deny?["policies"] as? [String]) == ["ns[default]-policy[deny-admin]-rule[0]"], "\(filters)")

                // The status page: the workload's posture.
                let page = try await meshd.get("/").body
                #expect(
                    page.contains(#"data-workload="default/reviews-v1" data-posture="allow-some""#),
                    "\(page.prefix(400))")

                // The changed virtualInbound is NACKed: the explanation names the policies and their file.
                let nacks = try await Poll.until("a listener NACK explained", timeout: .seconds(20)) {
                    () -> [[String: Any]]? in
                    let rows = try await meshd.json("/debug/nacks") as? [[String: Any]] ?? []
                    return rows.contains { $0["type"] as? String == "lds" } ? rows : nil
                }
                let sources = (nacks.first { $0["type"] as? String == "lds" }?["sources"] as? [[String: Any]]) ?? []
                let objects = Set(sources.compactMap { $0["object"] as? String })
                #expect(
                    objects.isSuperset(of: [
                        "AuthorizationPolicy/default/deny-admin", "AuthorizationPolicy/default/reviews-allow",
                    ]), "\(sources)")
            }
        }
    }

    @Test("meshd diff shows which RBAC policies a policy change adds and removes")
    func diffShowsAuthorization() async throws {
        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let reviews = OpsConfig.proxy("reviews-v1", ip: "10.44.0.11")
            try await withProxies([reviews], on: meshd) {
                try await meshd.waitUntilSynced([reviews.nodeID])
                let input = try DiffTests.input(meshd, ["authz.yaml": Self.policies])
                let result = try await InProcessMeshd.cli(["diff", "--admin", meshd.adminURL, input])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.contains("  authorization:\n"), "\(result.stdout)")
                #expect(
                    result.stdout.contains("    + virtualInbound: ALLOW ns[default]-policy[reviews-allow]-rule[0]\n"),
                    "\(result.stdout)")
                #expect(
                    result.stdout.contains("    + virtualInbound: DENY ns[default]-policy[deny-admin]-rule[0]\n"),
                    "\(result.stdout)")
            }
        }
    }

    @Test("meshd authz check answers from the generated config, as one request and as a table with expectations")
    func authzCheckCommand() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authz-check-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try OpsConfig.service.write(
            to: directory.appendingPathComponent("reviews.yaml"), atomically: true, encoding: .utf8)
        try Self.policies.write(to: directory.appendingPathComponent("authz.yaml"), atomically: true, encoding: .utf8)
        let one = try await InProcessMeshd.cli([
            "authz", "check", "--config-dir", directory.path, "--source-namespace", "default", "--to-workload",
            "default/reviews-v1",
            "--port", "9080", "--path", "/admin/users",
        ])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.hasPrefix("DENY\n"), "\(one.stdout)")
        #expect(
            one.stdout.contains(
                "decided by: AuthorizationPolicy default/deny-admin rules[0] (RBAC policy ns[default]-policy[deny-admin]-rule[0])"
            ), "\(one.stdout)")

        let requests = """
            requests:
            - name: get
              from: {namespace: default}
              to: {service: reviews.default.svc.cluster.local:9080}
              path: /reviews/1
              expect: ALLOW
            - name: post
              from: {namespace: default}
              to: {service: reviews.default.svc.cluster.local:9080}
              method: POST
              path: /reviews/1
              expect: ALLOW
            """
        let file = directory.appendingPathComponent("requests.yaml")
        try requests.write(to: file, atomically: true, encoding: .utf8)
        let table = try await InProcessMeshd.cli([
            "authz", "check", "--config-dir", directory.path, "--requests", file.path,
        ])
        #expect(table.status == 1, "the POST expectation fails: \(table.stdout)")
        #expect(table.stdout.contains("1/2 expectations met"), "\(table.stdout)")
        let post = table.stdout.split(separator: "\n").first { $0.hasPrefix("post ") }.map(String.init) ?? ""
        #expect(
            post.contains("DENY") && post.contains("FAIL (ALLOW)") && post.contains("no ALLOW rule matched"),
            "\(table.stdout)")

        let missing = try await InProcessMeshd.cli([
            "authz", "check", "--config-dir", directory.path, "--to-service", "nope:1",
        ])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("to.service: no service nope"), "\(missing.stderr)")
    }
}
