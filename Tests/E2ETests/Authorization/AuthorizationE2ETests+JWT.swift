import Foundation
import MeshTestSupport
import Testing

/// RequestAuthentication scenarios: tokens minted by this run's issuers, keys fetched by meshd from the JWKS
/// server on 127.0.0.1 (issuer A) or given inline (issuer B).
extension AuthorizationE2ETests {
    /// Issuer A's rule for httpbin: keys from `jwksUri`, httpbin's audience, the default token location.
    static func requestAuthenticationA(
        _ mesh: AuthzMesh, name: String = "httpbin-jwt", namespace: String = "foo", app: String = "httpbin"
    )
        -> PolicyDocument
    {
        .requestAuthentication(
            name, namespace: namespace,
            spec: """
                selector:
                  matchLabels: {\(namespace == "istio-system" ? "istio: ingressgateway" : "app: \(app)")}
                jwtRules:
                - issuer: \(AuthzMesh.issuerA)
                  jwksUri: \(mesh.jwksServer.uri())
                  audiences: ["\(AuthzMesh.audience)"]
                """)
    }

    @Test(
        "JWT via jwksUri: valid passes; forged, expired and unknown-issuer tokens get 401, a wrong audience 403; missing passes authn and the policy decides"
    )
    func jwtFromJWKSURI() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "JWT via jwksUri"
        let authn = Self.requestAuthenticationA(mesh)
        try await mesh.apply([authn], scenario: scenario)
        // meshd fetches the key set itself and inlines it: the key id shows up in httpbin's listeners.
        try await mesh.waitUntilListeners(of: mesh.httpbin, contain: mesh.issuerA.keyID, what: "issuer A's fetched key")
        // meshd caches the key set (refreshing it every 20 minutes), so an earlier scenario may have made the fetch.
        #expect(mesh.jwksServer.fetches() >= 1, "meshd never fetched \(mesh.jwksServer.uri())")
        // The pod cannot reach the root namespace's 127.0.0.1: the keys must be inline, not a remote fetch by Envoy.
        let listeners = try mesh.httpbin.admin("/config_dump?resource=dynamic_listeners").body
        #expect(
            listeners.contains("local_jwks") && !listeners.contains("remote_jwks"),
            "httpbin's jwt_authn does not hold the keys inline")

        let client = mesh.sleep.pod
        let valid = try mesh.tokenA()
        let forged = try mesh.issuerA.impostor().token(subject: "alice", audiences: [AuthzMesh.audience])
        let expired = try mesh.issuerA.token(subject: "alice", audiences: [AuthzMesh.audience], lifetime: -600)
        let wrongAudience = try mesh.issuerA.token(subject: "alice", audiences: ["someone-else"])
        let unknownIssuer = try JWTIssuer(issuer: "https://unknown.meshd.test", keyID: mesh.issuerA.keyID)
            .token(subject: "alice", audiences: [AuthzMesh.audience])
        try await mesh.expect(200, AuthzRequest("/headers", headers: mesh.bearer(valid)), from: client, to: .httpbin)
        try await mesh.expect(401, AuthzRequest("/headers", headers: mesh.bearer(forged)), from: client, to: .httpbin)
        try await mesh.expect(401, AuthzRequest("/headers", headers: mesh.bearer(expired)), from: client, to: .httpbin)
        // A wrong audience is refused by jwt_authn too, but Envoy's filter answers it 403 (as Istio's proxy does).
        try await mesh.expect(
            403, AuthzRequest("/headers", headers: mesh.bearer(wrongAudience)), from: client, to: .httpbin,
            refusedBy: .jwtAudience)
        try await mesh.expect(
            401, AuthzRequest("/headers", headers: mesh.bearer(unknownIssuer)), from: client, to: .httpbin)
        // No token: authentication passes, and with no AuthorizationPolicy nothing refuses it.
        try await mesh.expect(200, AuthzRequest("/headers"), from: client, to: .httpbin)
        try mesh.finish(scenario)

        // requestPrincipals: only alice's tokens; no token is now refused by the policy (403), not by authn.
        let then = "JWT via jwksUri + ALLOW requestPrincipals"
        let allowAlice = PolicyDocument.authorizationPolicy(
            "allow-alice", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: ALLOW
                rules:
                - from:
                  - source:
                      requestPrincipals: ["\(mesh.issuerA.principal(subject: "alice"))"]
                """)
        try await mesh.apply([authn, allowAlice], scenario: then)
        try await mesh.waitUntilListeners(of: mesh.httpbin, contain: mesh.issuerA.keyID, what: "issuer A's fetched key")
        try await mesh.expect(200, AuthzRequest("/headers", headers: mesh.bearer(valid)), from: client, to: .httpbin)
        try await mesh.expect(
            403, AuthzRequest("/headers", headers: mesh.bearer(try mesh.tokenA(subject: "bob"))), from: client,
            to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/headers"), from: client, to: .httpbin)
        try await mesh.expect(401, AuthzRequest("/headers", headers: mesh.bearer(forged)), from: client, to: .httpbin)
        try await mesh.expect(401, AuthzRequest("/headers", headers: mesh.bearer(expired)), from: client, to: .httpbin)
        try mesh.finish(then)
    }

    @Test("JWT with inline jwks (RS256) carried in a custom header with a prefix")
    func jwtInlineInCustomHeader() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "JWT inline jwks, fromHeaders with prefix"
        let jwks = try JWTIssuer.jwks([mesh.issuerB])
        let authn = PolicyDocument.requestAuthentication(
            "httpbin-jwt-b", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                jwtRules:
                - issuer: \(AuthzMesh.issuerB)
                  jwks: '\(jwks)'
                  fromHeaders:
                  - name: x-jwt-token
                    prefix: "Token "
                """)
        let allowB = PolicyDocument.authorizationPolicy(
            "allow-issuer-b", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: ALLOW
                rules:
                - from:
                  - source:
                      requestPrincipals: ["\(AuthzMesh.issuerB)/*"]
                """)
        try await mesh.apply([authn, allowB], scenario: scenario)
        let client = mesh.sleep.pod
        let valid = try mesh.issuerB.token(subject: "carol")
        let forged = try mesh.issuerB.impostor().token(subject: "carol")
        let expired = try mesh.issuerB.token(subject: "carol", lifetime: -600)
        try await mesh.expect(
            200, AuthzRequest("/headers", headers: ["x-jwt-token": "Token \(valid)"]), from: client, to: .httpbin)
        try await mesh.expect(
            401, AuthzRequest("/headers", headers: ["x-jwt-token": "Token \(forged)"]), from: client, to: .httpbin)
        try await mesh.expect(
            401, AuthzRequest("/headers", headers: ["x-jwt-token": "Token \(expired)"]), from: client, to: .httpbin)
        // Not where the rule looks: no token was found, so authn passes and the policy refuses.
        try await mesh.expect(403, AuthzRequest("/headers", headers: mesh.bearer(valid)), from: client, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/headers"), from: client, to: .httpbin)
        try mesh.finish(scenario)
    }

    @Test("ALLOW when a JWT claim has a value, top-level and nested")
    func whenJWTClaim() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "when request.auth.claims"
        let allow = PolicyDocument.authorizationPolicy(
            "allow-admin-claims", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: ALLOW
                rules:
                - when:
                  - key: request.auth.claims[groups]
                    values: ["admins"]
                - when:
                  - key: request.auth.claims[team][name]
                    values: ["platform"]
                """)
        try await mesh.apply([Self.requestAuthenticationA(mesh), allow], scenario: scenario)
        try await mesh.waitUntilListeners(of: mesh.httpbin, contain: mesh.issuerA.keyID, what: "issuer A's fetched key")
        let client = mesh.sleep.pod
        let admins = try mesh.tokenA(claims: ["groups": ["dev", "admins"]])
        let devs = try mesh.tokenA(claims: ["groups": ["dev"]])
        let platform = try mesh.tokenA(subject: "bob", claims: ["team": ["name": "platform"]])
        let otherTeam = try mesh.tokenA(subject: "bob", claims: ["team": ["name": "payments"]])
        try await mesh.expect(200, AuthzRequest("/get", headers: mesh.bearer(admins)), from: client, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get", headers: mesh.bearer(devs)), from: client, to: .httpbin)
        try await mesh.expect(200, AuthzRequest("/get", headers: mesh.bearer(platform)), from: client, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get", headers: mesh.bearer(otherTeam)), from: client, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get"), from: client, to: .httpbin)
        try mesh.finish(scenario)
    }

    @Test("the seed example: STRICT mTLS, a JWT required, everything else refused")
    func seedExample() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "seed example"
        let peer = PolicyDocument.peerAuthentication(
            "demo-app", namespace: "foo",
            spec: """
                selector:
                  matchLabels:
                    app: demo-app
                mtls:
                  mode: STRICT
                """)
        let authn = Self.requestAuthenticationA(mesh, name: "demo-app", app: "demo-app")
        let allow = PolicyDocument.authorizationPolicy(
            "demo-app", namespace: "foo",
            spec: """
                selector:
                  matchLabels:
                    app: demo-app
                action: ALLOW
                rules:
                - from:
                  - source:
                      requestPrincipals: ["*"]
                """)
        try await mesh.apply([peer, authn, allow], scenario: scenario)
        try await mesh.waitUntilListeners(of: mesh.demo, contain: mesh.issuerA.keyID, what: "issuer A's fetched key")
        let valid = try mesh.tokenA()
        let forged = try mesh.issuerA.impostor().token(subject: "alice", audiences: [AuthzMesh.audience])
        let expired = try mesh.issuerA.token(subject: "alice", audiences: [AuthzMesh.audience], lifetime: -600)
        for client in [mesh.sleep.pod, mesh.other.pod, mesh.barSleep.pod] {
            try await mesh.expect(200, AuthzRequest("/get", headers: mesh.bearer(valid)), from: client, to: .demo)
        }
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.sleep.pod, to: .demo)
        try await mesh.expect(401, AuthzRequest("/get", headers: mesh.bearer(forged)), from: mesh.sleep.pod, to: .demo)
        try await mesh.expect(401, AuthzRequest("/get", headers: mesh.bearer(expired)), from: mesh.sleep.pod, to: .demo)
        // Plaintext is refused before any HTTP, with a valid token or without.
        try await mesh.expectNoAnswer(AuthzRequest("/get", headers: mesh.bearer(valid)), from: mesh.plain, to: .demo)
        try await mesh.expectNoAnswer(AuthzRequest("/get"), from: mesh.plain, to: .demo)
        // httpbin is not selected: plaintext and no token still reach it.
        try await mesh.expect(200, AuthzRequest("/get"), from: mesh.plain, to: .httpbin)
        try await mesh.expect(200, AuthzRequest("/get"), from: mesh.sleep.pod, to: .httpbin)
        try mesh.finish(scenario)
    }
}
