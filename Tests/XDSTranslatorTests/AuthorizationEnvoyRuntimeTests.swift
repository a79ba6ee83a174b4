// The generated HTTP security filters in a real Envoy 1.40 on 127.0.0.1 (ports picked by the kernel), with a small
// ext_authz HTTP server: the status codes a user would see for JWTs (valid, forged, expired, missing, wrong claim),
// DENY and ALLOW rules, a path template, a dry-run policy (counted, not enforced) and a CUSTOM policy (only the
// requests it matches reach the authorization service). Every request is bounded by curl's --max-time.

import Foundation
import MeshModel
import MeshTestSupport
import Testing
import XDSTranslator

@Suite("Generated authorization filters behave as istiod's in a real Envoy", .serialized, .tags(.envoy, .root, .python))
struct AuthorizationEnvoyRuntimeTests {
    /// An HMAC key (HS256), as a JWKS `oct` key, and tokens signed with it or with another key.
    static let tokenScript = #"""
        import base64, hashlib, hmac, json, sys, time
        b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        def token(claims, key):
            head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k"}).encode())
            body = b64(json.dumps(claims).encode())
            sig = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
            return f"{head}.{body}.{b64(sig)}"
        key, other, now = b"meshd-test-secret-0123456789abcdef", b"someone-else-entirely-0123456789", int(time.time())
        claims = {"iss": "https://idp.example/t", "sub": "user-1", "exp": now + 3600, "realm": {"roles": ["reader"]}}
        print(json.dumps({
            "jwks": json.dumps({"keys": [{"kty": "oct", "kid": "k", "alg": "HS256", "k": b64(key)}]}),
            "good": token(claims, key),
            "noRole": token(dict(claims, realm={"roles": ["writer"]}), key),
            "forged": token(claims, other),
            "expired": token(dict(claims, exp=now - 600), key)}))
        """#

    /// Answers 200 when the check request carries `x-allow: yes`, else 403; logs each checked path.
    static let authzServer = #"""
        import http.server, sys
        calls, portFile = sys.argv[1], sys.argv[2]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                open(calls, "a").write(self.path + "\n")
                self.send_response(200 if self.headers.get("x-allow") == "yes" else 403)
                self.end_headers()
            do_POST = do_GET
            def log_message(self, *args): pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        open(portFile, "w").write(str(server.server_address[1]))
        server.serve_forever()
        """#

    static func security(jwks: String) throws -> String {
        let escaped = String(decoding: try JSONSerialization.data(withJSONObject: [jwks]), as: UTF8.self).dropFirst()
            .dropLast()
        return #"""
            {"meshConfig": {"extensionProviders": [{"name": "ext", "envoyExtAuthzHttp": {"service": "ops/authz", "port": 8000, "includeRequestHeadersInCheck": ["x-allow"]}}]},
             "requestAuthentications": [{"metadata": {"name": "ra", "namespace": "default"}, "jwtRules": [{"issuer": "https://idp.example/t", "jwks": \#(escaped)}]}],
             "authorizationPolicies": [
               {"metadata": {"name": "custom", "namespace": "default"}, "action": "CUSTOM", "provider": "ext", "rules": [{"to": [{"operation": {"paths": ["/ext*"]}}]}]},
               {"metadata": {"name": "deny", "namespace": "default"}, "action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/admin*"]}}]}]},
               {"metadata": {"name": "trial", "namespace": "default"}, "action": "DENY", "dryRun": true, "rules": [{"to": [{"operation": {"paths": ["/trial"]}}]}]},
               {"metadata": {"name": "allow", "namespace": "default"}, "rules": [
                  {"from": [{"source": {"requestPrincipals": ["https://idp.example/t/user-1"]}}], "when": [{"key": "request.auth.claims[realm][roles]", "values": ["reader"]}]},
                  {"to": [{"operation": {"paths": ["/public", "/ext*", "/admin*", "/trial", "/v1/{*}/items"]}}]}]}]}
            """#
    }

    /// The plaintext HTTP chain's connection manager, answering 200 itself instead of routing, as JSON.
    static func connectionManager(_ fixture: MeshFixture) throws -> Any {
        let listener = try #require(
            fixture.messages(TypeURL.listener).first { $0.name == "virtualInbound" })
        let rendered = try ProtoJSON.render([listener])
        let listeners = try #require(try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [[String: Any]])
        let chains = try #require(listeners.first?["filter_chains"] as? [[String: Any]])
        let chain = try #require(chains.first { $0["name"] as? String == "inbound_0.0.0.0_8080" })
        let filter = try #require((chain["filters"] as? [[String: Any]])?.first)
        var manager = try #require(filter["typed_config"] as? [String: Any])
        manager["stat_prefix"] = "authz"
        manager["route_config"] = [
            "virtual_hosts": [
                [
                    "name": "all", "domains": ["*"],
                    "routes": [["match": ["prefix": "/"], "direct_response": ["status": 200]]],
                ]
            ]
        ]
        return manager
    }

    @Test("JWT, DENY, ALLOW, path template, dry run and CUSTOM give the statuses istiod's config gives")
    func statuses() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-authz-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let python = RepositoryPaths.venvPython
        let tokenFile = directory.appendingPathComponent("tokens.py")
        try Self.tokenScript.write(to: tokenFile, atomically: true, encoding: .utf8)
        let tokenRun = try Subprocess.run([python, tokenFile.path], timeout: .seconds(30))
        try #require(tokenRun.succeeded, "\(tokenRun.stderr)")
        let tokens = try #require(
            try JSONSerialization.jsonObject(with: Data(tokenRun.stdout.utf8)) as? [String: String])

        let fixture = try AuthorizationTranslationTests.fixture(try Self.security(jwks: try #require(tokens["jwks"])))
        let manager = try Self.connectionManager(fixture)

        let serverFile = directory.appendingPathComponent("authz.py")
        try Self.authzServer.write(to: serverFile, atomically: true, encoding: .utf8)
        let calls = directory.appendingPathComponent("calls")
        let portFile = directory.appendingPathComponent("authz.port")
        let server = try ManagedProcess.start(
            name: "ext_authz", argv: [python, serverFile.path, calls.path, portFile.path],
            logFile: directory.appendingPathComponent("authz.log"))
        var processes = [server]
        defer { ManagedProcess.stopAll(processes) }
        let authzPort = try await Poll.until("the ext_authz server's port", timeout: .seconds(20)) {
            (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
        }

        let cluster: [String: Any] = [
            "name": "outbound|8000||authz.ops.svc.cluster.local", "type": "STATIC", "connect_timeout": "2s",
            "load_assignment": [
                "cluster_name": "authz",
                "endpoints": [
                    [
                        "lb_endpoints": [
                            [
                                "endpoint": [
                                    "address": ["socket_address": ["address": "127.0.0.1", "port_value": authzPort]]
                                ]
                            ]
                        ]
                    ]
                ],
            ],
        ]
        let bootstrap: [String: Any] = [
            "admin": ["address": ["socket_address": ["address": "127.0.0.1", "port_value": 0]]],
            "layered_runtime": [
                "layers": [["name": "strict", "static_layer": ["envoy.features.fail_on_any_deprecated_feature": true]]]
            ],
            "static_resources": [
                "clusters": [cluster],
                "listeners": [
                    [
                        "name": "authz", "address": ["socket_address": ["address": "127.0.0.1", "port_value": 0]],
                        "filter_chains": [
                            [
                                "filters": [
                                    ["name": "envoy.filters.network.http_connection_manager", "typed_config": manager]
                                ]
                            ]
                        ],
                    ]
                ],
            ],
        ]
        let bootstrapFile = directory.appendingPathComponent("envoy.json")
        try JSONSerialization.data(withJSONObject: bootstrap).write(to: bootstrapFile)
        let adminFile = directory.appendingPathComponent("admin.address")
        let envoy = try ManagedProcess.start(
            name: "envoy",
            argv: [
                try EnvoyBinary.path(), "-c", bootstrapFile.path, "--disable-hot-restart", "--admin-address-path",
                adminFile.path, "-l", "warning",
            ],
            logFile: directory.appendingPathComponent("envoy.log"))
        processes.append(envoy)
        let admin = try await Poll.until("Envoy's admin address", timeout: .seconds(30)) {
            try envoy.checkRunning()
            return (try? String(contentsOf: adminFile, encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines
            ).nilIfEmpty
        }
        let port = try await Poll.until("the listener's port", timeout: .seconds(30)) { () -> Int? in
            try envoy.checkRunning()
            let body = try HTTPProbe.get("http://\(admin)/listeners?format=json", timeout: 3).body
            guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                let statuses = object["listener_statuses"] as? [[String: Any]],
                let address = statuses.first?["local_address"] as? [String: Any],
                let socket = address["socket_address"] as? [String: Any], let port = socket["port_value"] as? Int,
                port > 0
            else { return nil }
            return port
        }

        func status(_ path: String, _ headers: [String] = []) throws -> Int {
            let argv =
                ["curl", "-sS", "--noproxy", "*", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}"]
                + headers.flatMap { ["-H", $0] } + ["http://127.0.0.1:\(port)\(path)"]
            return Int(
                try Subprocess.run(argv, timeout: .seconds(10)).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
                ?? 0
        }
        let bearer = { (name: String) in "Authorization: Bearer \(tokens[name] ?? "")" }
        let expectations: [(String, [String], Int)] = [
            ("/public", [], 200),
            ("/admin/keys", [], 403),
            ("/other", [], 403),
            ("/other", [bearer("good")], 200),
            ("/other", [bearer("noRole")], 403),
            ("/other", [bearer("forged")], 401),
            ("/other", [bearer("expired")], 401),
            ("/trial", [], 200),
            ("/v1/abc/items", [], 200),
            ("/v1/a/b/items", [], 403),
            ("/ext/a", ["x-allow: yes"], 200),
            ("/ext/b", [], 403),
        ]
        for (path, headers, expected) in expectations {
            let got = try status(path, headers)
            #expect(got == expected, "\(path) with \(headers.map { $0.prefix(24) }): \(got), expected \(expected)")
        }
        // Only the CUSTOM rule's requests reached the authorization service.
        let checked = ((try? String(contentsOf: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(checked == ["/ext/a", "/ext/b"])
        // The dry-run DENY matched /trial once: counted, not enforced.
        let stats = try HTTPProbe.get("http://\(admin)/stats?filter=rbac", timeout: 3).body
        #expect(stats.contains("http.authz.rbac.istio_dry_run_deny_.shadow_denied: 1"), "\(stats)")
        #expect(!envoy.logTail().contains("critical"), "\(envoy.logTail())")
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
