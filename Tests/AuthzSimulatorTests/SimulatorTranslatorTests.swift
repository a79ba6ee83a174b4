import Crypto
import EnvoyAPI
import Foundation
import MeshModel
import Testing
import XDSTranslator

@testable import AuthzSimulator

/// A JWT issuer for tests: an ES256 key, its JWKS, and signed tokens.
struct TestIssuer {
    let issuer: String
    let key = P256.Signing.PrivateKey()

    var jwks: String {
        let raw = key.publicKey.rawRepresentation
        return
            #"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","x":"\#(Self.base64URL(raw.prefix(32)))","y":"\#(Self.base64URL(raw.suffix(32)))"}]}"#
    }

    func token(_ claims: [String: Any], signedBy signer: P256.Signing.PrivateKey? = nil) throws -> String {
        var payload = claims
        payload["iss"] = payload["iss"] ?? issuer
        let header = Self.base64URL(Data(#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#.utf8))
        let body = Self.base64URL(try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]))
        let signature = try (signer ?? key).signature(for: Data("\(header).\(body)".utf8))
        return "\(header).\(body).\(Self.base64URL(signature.rawRepresentation))"
    }

    static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/", with: "_"
        )
        .replacingOccurrences(of: "=", with: "")
    }
}

let meshYAML = """
    apiVersion: v1
    kind: Service
    metadata: {name: orders, namespace: shop}
    spec:
      clusterIP: 10.96.2.10
      selector: {app: orders}
      ports:
      - {name: http-web, port: 80, targetPort: 8080}
      - {name: tcp-db, port: 5432, targetPort: 15432}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: orders-1, namespace: shop, labels: {app: orders}}
    spec: {serviceAccountName: orders}
    status: {podIP: 10.2.0.5}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: frontend-1, namespace: web, labels: {app: frontend}}
    spec: {serviceAccountName: frontend}
    status: {podIP: 10.3.0.7}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: batch-1, namespace: jobs, labels: {app: batch}}
    spec: {serviceAccountName: batch}
    status: {podIP: 10.4.0.9}
    """

/// The mesh above with `policies`, and the orders workload's simulator.
func simulator(
    _ policies: [AuthorizationPolicy], jwt: [RequestAuthentication] = [], fetched: [String: String] = [:]
) throws -> (AuthorizationSimulator, SimulationTargets) {
    let decoded = ConfigDecoder.decode(yaml: meshYAML, file: "mesh.yaml")
    #expect(decoded.errors.isEmpty, "\(decoded.errors)")
    var snapshot = MeshSnapshot.build(from: decoded.objects)
    snapshot.indexSecurityPolicies(authorization: policies, requestAuthentication: jwt)
    snapshot = snapshot.withFetchedJWKS(fetched)
    let targets = SimulationTargets(snapshot: snapshot)
    let (orders, _) = try targets.service("orders.shop.svc.cluster.local:80", field: "to")
    return (AuthorizationSimulator(snapshot: snapshot, proxy: targets.proxy(of: orders)), targets)
}

func request(
    from source: String, _ targets: SimulationTargets, port: Int = 8080, method: String = "GET", path: String = "/",
    headers: [(name: String, value: String)] = [], token: String? = nil, claims: MetadataValue? = nil
) throws -> SimulatedRequest {
    let workload = try targets.workload(source, field: "from")
    return SimulatedRequest(
        sourceIP: workload.address, principal: targets.principal(of: workload), destinationIP: "10.2.0.5",
        destinationPort: port, method: method, path: path, host: "orders.shop:80", headers: headers, token: token,
        claims: claims)
}

func allowNothing() -> AuthorizationPolicy {
    AuthorizationPolicy(meta: ObjectMeta(name: "allow-nothing", namespace: "istio-system"))
}

func allowFrontend() -> AuthorizationPolicy {
    var source = AuthorizationSource()
    source.principals = ["cluster.local/ns/web/sa/frontend"]
    var operation = AuthorizationOperation()
    operation.methods = ["GET", "POST"]
    operation.paths = ["/api/*"]
    return AuthorizationPolicy(
        meta: ObjectMeta(name: "allow-frontend", namespace: "shop"), selector: ["app": "orders"],
        rules: [AuthorizationRule(from: [source], to: [operation])])
}

func denyAdmin(dryRun: Bool = false) -> AuthorizationPolicy {
    var operation = AuthorizationOperation()
    operation.paths = ["/api/admin*"]
    return AuthorizationPolicy(
        meta: ObjectMeta(name: dryRun ? "trial-deny" : "deny-admin", namespace: "shop"), action: .deny,
        rules: [AuthorizationRule(to: [operation])], dryRun: dryRun)
}

@Suite("Simulator over translator output")
struct SimulatorTranslatorTests {
    @Test func noPolicyIsOpen() throws {
        let (sim, targets) = try simulator([])
        let decision = sim.check(try request(from: "web/frontend-1", targets))
        #expect(decision.verdict == .allow)
        #expect(decision.listener == "virtualInbound")
    }

    @Test func meshWideAllowNothingThenANamespaceAllow() throws {
        let (closed, targets) = try simulator([allowNothing()])
        let denied = closed.check(try request(from: "web/frontend-1", targets, path: "/api/items"))
        #expect(denied.verdict == .deny)
        #expect(denied.status == 403)
        #expect(denied.reason.contains("istio-system/allow-nothing rules[0]"), "\(denied.reason)")

        let (open, _) = try simulator([allowNothing(), allowFrontend()])
        let allowed = open.check(try request(from: "web/frontend-1", targets, path: "/api/items?x=1"))
        #expect(allowed.verdict == .allow, "\(allowed.summary)")
        #expect(allowed.policy?.description == "shop/allow-frontend rules[0]")
        #expect(
            open.check(try request(from: "jobs/batch-1", targets, path: "/api/items")).verdict == .deny,
            "another service account")
        #expect(
            open.check(try request(from: "web/frontend-1", targets, method: "DELETE", path: "/api/items")).verdict
                == .deny)
        #expect(open.check(try request(from: "web/frontend-1", targets, path: "/other")).verdict == .deny)
    }

    @Test func denyWinsOverAllowAndNamesItsRule() throws {
        let (sim, targets) = try simulator([allowFrontend(), denyAdmin()])
        let decision = sim.check(try request(from: "web/frontend-1", targets, path: "/api/admin/keys"))
        #expect(decision.verdict == .deny)
        #expect(decision.policy?.description == "shop/deny-admin rules[0]")
        #expect(decision.policy?.rbacName == "ns[shop]-policy[deny-admin]-rule[0]")
        #expect(sim.check(try request(from: "web/frontend-1", targets, path: "/api/items")).verdict == .allow)
    }

    @Test func dryRunIsNotedNotEnforced() throws {
        let (sim, targets) = try simulator([denyAdmin(dryRun: true)])
        let decision = sim.check(try request(from: "web/frontend-1", targets, path: "/api/admin"))
        #expect(decision.verdict == .allow)
        #expect(
            decision.notes.contains { $0.contains("would deny") && $0.contains("shop/trial-deny rules[0]") },
            "\(decision.notes)")
    }

    @Test func plaintextAndTCP() throws {
        let (sim, targets) = try simulator([allowFrontend()])
        var plaintext = try request(from: "web/frontend-1", targets, path: "/api/items")
        plaintext.principal = nil
        let decision = sim.check(plaintext)
        #expect(decision.verdict == .deny, "the ALLOW names a principal, which a plaintext peer lacks")
        // On the TCP port, the ALLOW rule uses HTTP-only fields (methods, paths): it matches nothing there.
        let tcp = sim.check(try request(from: "web/frontend-1", targets, port: 15432))
        #expect(tcp.verdict == .deny, "\(tcp.summary)")
        #expect(tcp.status == 0)
    }

    @Test func plaintextToAStrictPortFailsTheHandshake() throws {
        let strict = """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: strict, namespace: shop}
            spec: {mtls: {mode: STRICT}}
            """
        let decoded = ConfigDecoder.decode(yaml: meshYAML + "\n---\n" + strict, file: "mesh.yaml")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        var snapshot = MeshSnapshot.build(from: decoded.objects)
        snapshot.indexSecurityPolicies(authorization: [], requestAuthentication: [])
        let targets = SimulationTargets(snapshot: snapshot)
        let (orders, _) = try targets.service("orders.shop.svc.cluster.local:80", field: "to")
        let sim = AuthorizationSimulator(snapshot: snapshot, proxy: targets.proxy(of: orders))
        var plaintext = try request(from: "web/frontend-1", targets, path: "/api/items")
        plaintext.principal = nil
        let refused = sim.check(plaintext)
        #expect(refused.verdict == .noFilterChain, "\(refused.summary)")
        #expect(refused.status == 0)
        // The same request over mutual TLS is allowed: no policy applies.
        #expect(sim.check(try request(from: "web/frontend-1", targets, path: "/api/items")).verdict == .allow)
    }

    @Test func jwtTokensAsEnvoyVerifiesThem() throws {
        let issuer = TestIssuer(issuer: "https://issuer.example")
        let authentication = RequestAuthentication(
            meta: ObjectMeta(name: "jwt", namespace: "shop"), selector: ["app": "orders"],
            jwtRules: [JWTRule(issuer: issuer.issuer, audiences: ["orders"], jwks: issuer.jwks)])
        var source = AuthorizationSource()
        source.requestPrincipals = ["*"]
        let requireJWT = AuthorizationPolicy(
            meta: ObjectMeta(name: "require-jwt", namespace: "shop"),
            rules: [
                AuthorizationRule(
                    from: [source], when: [AuthorizationCondition(key: "request.auth.claims[group]", values: ["dev"])])
            ])
        let (sim, targets) = try simulator([requireJWT], jwt: [authentication])
        let later = Date().timeIntervalSince1970 + 3600
        let valid = try issuer.token(["sub": "alice", "aud": "orders", "exp": later, "group": ["dev", "ops"]])
        let allowed = sim.check(try request(from: "web/frontend-1", targets, token: valid))
        #expect(allowed.verdict == .allow, "\(allowed.summary)")
        #expect(allowed.policy?.description == "shop/require-jwt rules[0]")

        let wrongGroup = try issuer.token(["sub": "alice", "aud": "orders", "exp": later, "group": "ops"])
        #expect(sim.check(try request(from: "web/frontend-1", targets, token: wrongGroup)).verdict == .deny)
        let forged = try issuer.token(
            ["sub": "alice", "aud": "orders", "exp": later], signedBy: P256.Signing.PrivateKey())
        #expect(sim.check(try request(from: "web/frontend-1", targets, token: forged)).verdict == .unauthenticated)
        let expired = try issuer.token(["sub": "alice", "aud": "orders", "exp": Date().timeIntervalSince1970 - 60])
        #expect(sim.check(try request(from: "web/frontend-1", targets, token: expired)).verdict == .unauthenticated)
        let wrongAudience = try issuer.token(["sub": "alice", "aud": "billing", "exp": later])
        // Envoy's jwt_authn refuses a wrong audience with 403 ("Audiences in Jwt are not allowed"), not 401.
        let audience = sim.check(try request(from: "web/frontend-1", targets, token: wrongAudience))
        #expect(audience.verdict == .deny)
        #expect(audience.status == 403)
        #expect(audience.reason.contains("Audiences in Jwt are not allowed"))
        let missing = sim.check(try request(from: "web/frontend-1", targets))
        #expect(missing.verdict == .deny, "no token passes jwt_authn, then RBAC wants a request principal")
        #expect(missing.status == 403)
        let claims = MetadataValue.object([
            "iss": .string(issuer.issuer), "sub": .string("bob"), "aud": .string("orders"), "group": .string("dev"),
        ])
        #expect(sim.check(try request(from: "web/frontend-1", targets, claims: claims)).verdict == .allow)
    }

    @Test func aCustomHeaderCarriesTheTokenOnlyWhereConfigured() throws {
        let issuer = TestIssuer(issuer: "https://issuer.example")
        let authentication = RequestAuthentication(
            meta: ObjectMeta(name: "jwt", namespace: "shop"),
            jwtRules: [
                JWTRule(
                    issuer: issuer.issuer, jwks: issuer.jwks, fromHeaders: [JWTHeader(name: "x-jwt", prefix: "Token ")])
            ])
        var source = AuthorizationSource()
        source.requestPrincipals = ["https://issuer.example/alice"]
        let policy = AuthorizationPolicy(
            meta: ObjectMeta(name: "alice", namespace: "shop"), rules: [AuthorizationRule(from: [source])])
        let (sim, targets) = try simulator([policy], jwt: [authentication])
        let token = try issuer.token(["sub": "alice"])
        #expect(
            sim.check(try request(from: "web/frontend-1", targets, headers: [(name: "x-jwt", value: "Token \(token)")]))
                .verdict == .allow)
        // In the default Authorization header, the provider does not look: no token, so RBAC refuses.
        #expect(sim.check(try request(from: "web/frontend-1", targets, token: token)).verdict == .deny)
    }

    @Test func anUnfetchedJWKSRejectsEveryToken() throws {
        let uri = "https://issuer.example/jwks"
        let issuer = TestIssuer(issuer: "https://issuer.example")
        let authentication = RequestAuthentication(
            meta: ObjectMeta(name: "jwt", namespace: "shop"), jwtRules: [JWTRule(issuer: issuer.issuer, jwksURI: uri)])
        let (unfetched, targets) = try simulator([], jwt: [authentication])
        let token = try issuer.token(["sub": "alice"])
        #expect(unfetched.check(try request(from: "web/frontend-1", targets, token: token)).verdict == .unauthenticated)
        let claims = MetadataValue.object(["iss": .string(issuer.issuer), "sub": .string("alice")])
        #expect(
            unfetched.check(try request(from: "web/frontend-1", targets, claims: claims)).verdict == .unauthenticated)
        let (fetched, _) = try simulator([], jwt: [authentication], fetched: [uri: issuer.jwks])
        #expect(fetched.check(try request(from: "web/frontend-1", targets, token: token)).verdict == .allow)
    }
}

@Suite("Check requests as E2E scenarios state them")
struct CheckRequestTests {
    @Test func aScenarioResolvesAndChecks() throws {
        let decoded = ConfigDecoder.decode(yaml: meshYAML, file: "mesh.yaml")
        var snapshot = MeshSnapshot.build(from: decoded.objects)
        snapshot.indexSecurityPolicies(authorization: [allowNothing(), allowFrontend()], requestAuthentication: [])
        let allowed = AuthorizationCheckRequest(
            from: .init(workload: "web/frontend-1"), to: .init(service: "orders.shop.svc.cluster.local:80"),
            path: "/api/x")
        #expect(try AuthorizationSimulator.check(allowed, in: snapshot).verdict == .allow)
        let byNamespace = AuthorizationCheckRequest(
            from: .init(namespace: "web", serviceAccount: "frontend"), to: .init(workload: "shop/orders-1", port: 8080),
            path: "/api/x")
        #expect(try AuthorizationSimulator.check(byNamespace, in: snapshot).verdict == .allow)
        let plaintext = AuthorizationCheckRequest(
            from: .init(workload: "web/frontend-1", plaintext: true),
            to: .init(service: "orders.shop.svc.cluster.local:80"), path: "/api/x")
        #expect(try AuthorizationSimulator.check(plaintext, in: snapshot).verdict == .deny)
        #expect(throws: SimulationInputError.self) {
            try AuthorizationSimulator.check(
                AuthorizationCheckRequest(from: .init(), to: .init(workload: "shop/orders-1")), in: snapshot)
        }
    }
}

@Suite("CUSTOM through the simulator")
struct CustomSimulationTests {
    static let extAuthz = """
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ext-authz, namespace: authz}
        spec:
          clusterIP: 10.96.9.9
          ports: [{name: http, port: 8000}]
        """

    @Test func customSendsMatchingRequestsToTheProviderOnly() throws {
        let decoded = ConfigDecoder.decode(yaml: meshYAML + "\n" + Self.extAuthz, file: "mesh.yaml")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        var snapshot = MeshSnapshot.build(from: decoded.objects)
        snapshot.apply(
            meshConfig: MeshConfig(extensionProviders: [
                ExtensionProvider(
                    name: "http-authz",
                    kind: .envoyExtAuthzHTTP(
                        ExtAuthzHTTPProvider(service: "ext-authz.authz.svc.cluster.local", port: 8000)))
            ]))
        var operation = AuthorizationOperation()
        operation.paths = ["/admin*"]
        let custom = AuthorizationPolicy(
            meta: ObjectMeta(name: "ext-check", namespace: "shop"), action: .custom, provider: "http-authz",
            rules: [AuthorizationRule(to: [operation])])
        snapshot.indexSecurityPolicies(authorization: [custom, denyAdmin()], requestAuthentication: [])
        let targets = SimulationTargets(snapshot: snapshot)
        let (orders, _) = try targets.service("orders.shop.svc.cluster.local:80", field: "to")
        let simulator = AuthorizationSimulator(snapshot: snapshot, proxy: targets.proxy(of: orders))
        let admin = simulator.check(try request(from: "web/frontend-1", targets, path: "/admin/users"))
        #expect(admin.verdict == .custom, "\(admin.summary)")
        #expect(admin.reason == "CUSTOM → ext_authz http-authz, decided by the external server")
        #expect(admin.policy?.description == "shop/ext-check rules[0]")
        // Not matched by the CUSTOM rule: ext_authz is not called, and the DENY decides.
        let api = simulator.check(try request(from: "web/frontend-1", targets, path: "/api/admin"))
        #expect(api.verdict == .deny)
        #expect(api.policy?.description == "shop/deny-admin rules[0]")
        #expect(simulator.check(try request(from: "web/frontend-1", targets, path: "/api/items")).verdict == .allow)
    }

    @Test func anUnknownProviderDeniesWhatTheRuleMatches() throws {
        let decoded = ConfigDecoder.decode(yaml: meshYAML, file: "mesh.yaml")
        var snapshot = MeshSnapshot.build(from: decoded.objects)
        var operation = AuthorizationOperation()
        operation.paths = ["/admin*"]
        let custom = AuthorizationPolicy(
            meta: ObjectMeta(name: "ext-check", namespace: "shop"), action: .custom, provider: "missing",
            rules: [AuthorizationRule(to: [operation])])
        snapshot.indexSecurityPolicies(authorization: [custom], requestAuthentication: [])
        let targets = SimulationTargets(snapshot: snapshot)
        let (orders, _) = try targets.service("orders.shop.svc.cluster.local:80", field: "to")
        let simulator = AuthorizationSimulator(snapshot: snapshot, proxy: targets.proxy(of: orders))
        let admin = simulator.check(try request(from: "web/frontend-1", targets, path: "/admin"))
        #expect(admin.verdict == .deny, "fails closed: \(admin.summary)")
        #expect(admin.policy?.policy == "ext-check")
        #expect(simulator.check(try request(from: "web/frontend-1", targets, path: "/ok")).verdict == .allow)
    }
}
