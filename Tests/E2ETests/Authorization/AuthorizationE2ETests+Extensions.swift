import Foundation
import MeshTestSupport
import Testing

/// Dry run, CUSTOM (ext_authz) and the ingress gateway.
extension AuthorizationE2ETests {
    @Test("dry run: a DENY marked istio.io/dry-run is counted in the pod Envoy's shadow stats and not enforced")
    func dryRun() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "dry run"
        let deny = PolicyDocument.authorizationPolicy(
            "deny-dry-run", namespace: "foo", annotations: ["istio.io/dry-run": "true"],
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: DENY
                rules:
                - to:
                  - operation: {paths: ["/dry-run/*"]}
                """)
        try await mesh.apply([deny], scenario: scenario)
        let before = try Self.rbacCounters(mesh.httpbin)
        try await mesh.expect(
            200, AuthzRequest("/dry-run/would-be-denied"), from: mesh.sleep.pod, to: .httpbin, count: 4)
        try await mesh.expect(200, AuthzRequest("/open"), from: mesh.sleep.pod, to: .httpbin, count: 2)
        let after = try Self.rbacCounters(mesh.httpbin)
        let shadowDenied = after.shadowDenied - before.shadowDenied
        let shadowAllowed = after.shadowAllowed - before.shadowAllowed
        #expect(shadowDenied == 4, "shadow_denied grew by \(shadowDenied), expected 4; stats now \(after.names)")
        #expect(
            shadowAllowed >= 2, "shadow_allowed grew by \(shadowAllowed), expected at least 2; stats now \(after.names)"
        )
        #expect(after.denied == before.denied, "a dry-run policy denied for real: \(after.names)")
        print("authz dry run: shadow_denied +\(shadowDenied), shadow_allowed +\(shadowAllowed), stats \(after.names)")
        try mesh.finish(scenario)
    }

    @Test("CUSTOM: ext_authz decides first for the paths it names; DENY still applies after it; other paths skip it")
    func customExtAuthz() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "CUSTOM ext_authz"
        let custom = PolicyDocument.authorizationPolicy(
            "ext-authz", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: CUSTOM
                provider:
                  name: \(AuthzConfig.extAuthzProvider)
                rules:
                - to:
                  - operation: {paths: ["/custom/*"]}
                """)
        let deny = PolicyDocument.authorizationPolicy(
            "deny-blocked", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: DENY
                rules:
                - to:
                  - operation: {paths: ["/custom/blocked"]}
                """)
        try await mesh.apply([custom, deny], scenario: scenario)
        let client = mesh.sleep.pod
        let before = try mesh.extAuthz.counts()
        let allowed = try await mesh.expect(
            200, AuthzRequest("/custom/page", headers: ["x-ext-authz": "allow"]), from: client, to: .httpbin)
        #expect(
            allowed.answers.first?.echoedHeader("x-ext-authz-check-result") == "allowed",
            "headersToUpstreamOnAllow did not reach the app: \(allowed)")
        try await mesh.expect(403, AuthzRequest("/custom/page"), from: client, to: .httpbin, refusedBy: .extAuthz)
        try await mesh.expect(
            403, AuthzRequest("/custom/page", headers: ["x-ext-authz": "deny"]), from: client, to: .httpbin,
            refusedBy: .extAuthz)
        // CUSTOM is evaluated before DENY: ext_authz allows, then RBAC's DENY refuses...
        try await mesh.expect(
            403, AuthzRequest("/custom/blocked", headers: ["x-ext-authz": "allow"]), from: client, to: .httpbin,
            refusedBy: .rbac)
        // ...and without the allow header ext_authz refuses before DENY is reached.
        try await mesh.expect(403, AuthzRequest("/custom/blocked"), from: client, to: .httpbin, refusedBy: .extAuthz)
        // Paths the CUSTOM rule does not name are not sent to ext_authz at all.
        try await mesh.expect(200, AuthzRequest("/public"), from: client, to: .httpbin)
        let after = try mesh.extAuthz.counts()
        #expect(
            after.allowed - before.allowed == 6,
            "ext_authz allowed \(after.allowed - before.allowed), expected 6: \(after)")
        #expect(
            after.denied - before.denied == 9, "ext_authz denied \(after.denied - before.denied), expected 9: \(after)")
        let checked = after.paths.suffix(after.total - before.total)
        #expect(checked.allSatisfy { $0.hasPrefix("/custom/") }, "ext_authz was asked about \(checked)")
        print(
            "authz CUSTOM: ext_authz checks +\(after.total - before.total) (allowed +\(after.allowed - before.allowed))"
        )
        try mesh.finish(scenario, extAuthzPaths: Set(checked))
    }

    @Test("ingress gateway: a JWT RequestAuthentication, ALLOW by request principal and path, DENY /api/admin*")
    func ingressGatewayPolicy() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "ingress gateway"
        let authn = Self.requestAuthenticationA(mesh, name: "ingress-jwt", namespace: "istio-system")
        let allow = PolicyDocument.authorizationPolicy(
            "ingress-allow-api", namespace: "istio-system",
            spec: """
                selector:
                  matchLabels: {istio: ingressgateway}
                action: ALLOW
                rules:
                - from:
                  - source:
                      requestPrincipals: ["\(AuthzMesh.issuerA)/*"]
                  to:
                  - operation: {paths: ["/api/*"]}
                """)
        let deny = PolicyDocument.authorizationPolicy(
            "ingress-deny-admin", namespace: "istio-system",
            spec: """
                selector:
                  matchLabels: {istio: ingressgateway}
                action: DENY
                rules:
                - to:
                  - operation: {paths: ["/api/admin*"]}
                """)
        try await mesh.apply([authn, allow, deny], scenario: scenario)
        try await mesh.waitUntilListeners(of: mesh.ingress, contain: mesh.issuerA.keyID, what: "issuer A's fetched key")
        let client = mesh.plain
        let valid = try mesh.tokenA()
        let forged = try mesh.issuerA.impostor().token(subject: "alice", audiences: [AuthzMesh.audience])
        let expired = try mesh.issuerA.token(subject: "alice", audiences: [AuthzMesh.audience], lifetime: -600)
        let before = try Self.rbacCounters(mesh.ingress)
        try await mesh.expect(200, AuthzRequest("/api/data", headers: mesh.bearer(valid)), from: client, to: .gateway)
        try await mesh.expect(403, AuthzRequest("/api/data"), from: client, to: .gateway)
        try await mesh.expect(401, AuthzRequest("/api/data", headers: mesh.bearer(forged)), from: client, to: .gateway)
        try await mesh.expect(401, AuthzRequest("/api/data", headers: mesh.bearer(expired)), from: client, to: .gateway)
        try await mesh.expect(
            403, AuthzRequest("/api/admin/keys", headers: mesh.bearer(valid)), from: client, to: .gateway)
        try await mesh.expect(403, AuthzRequest("/other", headers: mesh.bearer(valid)), from: client, to: .gateway)
        // The refusals were the gateway's own (httpbin has no policy here).
        let after = try Self.rbacCounters(mesh.ingress)
        #expect(
            after.denied - before.denied == 9,
            "the gateway's RBAC denied \(after.denied - before.denied), expected 9: \(after.names)")
        try mesh.finish(scenario)
    }

    /// The RBAC filter counters of one Envoy, summed over its filters: enforced denials, and shadow (dry-run)
    /// allowed and denied.
    struct RBACCounters {
        var denied = 0
        var shadowDenied = 0
        var shadowAllowed = 0
        var names: [String: String] = [:]
    }

    static func rbacCounters(_ sidecar: Sidecar) throws -> RBACCounters {
        let stats = try sidecar.stats(matching: "rbac\\.")
        var counters = RBACCounters(names: stats.filter { $0.value != "0" })
        for (name, value) in stats {
            guard let count = Int(value) else { continue }
            if name.hasSuffix("shadow_denied") {
                counters.shadowDenied += count
            } else if name.hasSuffix("shadow_allowed") {
                counters.shadowAllowed += count
            } else if name.hasSuffix("denied") {
                counters.denied += count
            }
        }
        return counters
    }
}
