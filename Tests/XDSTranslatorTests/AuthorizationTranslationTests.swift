import EnvoyAPI
import Foundation
import MeshModel
import MeshTestSupport
import Testing
import XDSTranslator

/// AuthorizationPolicy and RequestAuthentication semantics as a user would notice them in the generated LDS: which
/// filters a workload gets, in which order, and what each policy shape becomes (istiod's rules).
@Suite("Authorization translation")
struct AuthorizationTranslationTests {
    typealias Listener = Envoy_Config_Listener_V3_Listener
    typealias HCM = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
    typealias HTTPRBAC = Envoy_Extensions_Filters_Http_Rbac_V3_RBAC
    typealias NetworkRBAC = Envoy_Extensions_Filters_Network_Rbac_V3_RBAC
    typealias JWT = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtAuthentication
    typealias ExtAuthz = Envoy_Extensions_Filters_Http_ExtAuthz_V3_ExtAuthz

    /// A workload `api` in `default` serving HTTP on 8080 and TCP on 5432, plus an ext_authz service.
    static let mesh = MeshYAML.join(
        MeshYAML.service("api", clusterIP: "10.96.1.1", ports: [("http", 80, 8080), ("tcp-db", 5432, nil)]),
        MeshYAML.pod("api-1", ip: "10.1.1.1", labels: ["app": "api"]),
        MeshYAML.service(
            "authz", namespace: "ops", clusterIP: "10.96.2.1", ports: [("grpc", 9000, nil), ("http", 8000, nil)]))

    static func fixture(_ security: String, labels: [String: String] = ["app": "api"]) throws -> MeshFixture {
        try MeshFixture(
            yaml: mesh, nodeID: sidecarID(ip: "10.1.1.1", pod: "api-1"),
            metadata: ["NAMESPACE": "default", "INSTANCE_IPS": "10.1.1.1"], labels: labels,
            identity: WorkloadIdentity(namespace: "default", serviceAccount: "api"),
            security: SecurityFixture.decode(Data(security.utf8)))
    }

    /// The virtualInbound chain named `name`.
    static func chain(_ fixture: MeshFixture, _ name: String) throws -> Envoy_Config_Listener_V3_FilterChain {
        let listener = try #require(fixture.resources(TypeURL.listener, as: Listener.self)["virtualInbound"])
        if name == "virtualInbound-catchall" { return listener.defaultFilterChain }
        return try #require(listener.filterChains.first { $0.name == name }, "no chain \(name)")
    }

    static func httpFilters(
        _ fixture: MeshFixture
    ) throws -> [Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter] {
        let chain = try chain(fixture, "inbound_0.0.0.0_8080_mtls")
        return try HCM(unpackingAny: try #require(chain.filters.first).typedConfig).httpFilters
    }

    static func httpRBAC(_ fixture: MeshFixture) throws -> [HTTPRBAC] {
        try httpFilters(fixture).filter { $0.name == "envoy.filters.http.rbac" }.map {
            try HTTPRBAC(unpackingAny: $0.typedConfig)
        }
    }

    static func networkRBAC(
        _ fixture: MeshFixture, chain name: String = "inbound_0.0.0.0_5432_mtls"
    ) throws -> [NetworkRBAC] {
        try chain(fixture, name).filters.filter { $0.name == "envoy.filters.network.rbac" }
            .map { try NetworkRBAC(unpackingAny: $0.typedConfig) }
    }

    @Test("without policies the inbound chains carry no security filter")
    func noPolicies() throws {
        let fixture = try Self.fixture("{}")
        #expect(
            try Self.httpFilters(fixture).map(\.name) == [
                "envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router",
            ])
        #expect(
            try Self.chain(fixture, "inbound_0.0.0.0_5432_mtls").filters.map(\.name) == [
                "envoy.filters.network.tcp_proxy"
            ])
        let inputs = fixture.translator.authorizationInputs(snapshot: fixture.snapshot, proxy: fixture.proxy)
        #expect(inputs.all.isEmpty && inputs.posture == .open && inputs.listeners.isEmpty)
    }

    @Test("`spec: {}` allows nothing: an ALLOW filter whose only policy never matches, on HTTP, TCP and passthrough")
    func allowNothing() throws {
        let fixture = try Self.fixture(
            #"{"authorizationPolicies": [{"metadata": {"name": "none", "namespace": "default"}}]}"#)
        let allow = try #require(try Self.httpRBAC(fixture).only)
        #expect(allow.rules.action == .allow)
        let policy = try #require(allow.rules.policies["ns[default]-policy[none]-rule[0]"])
        #expect(policy.permissions.first?.notRule.any == true)
        #expect(policy.principals.first?.notID.any == true)
        for chain in ["inbound_0.0.0.0_5432_mtls", "virtualInbound-catchall"] {
            let tcp = try #require(try Self.networkRBAC(fixture, chain: chain).only)
            #expect(tcp.rules.policies.keys.sorted() == ["ns[default]-policy[none]-rule[0]"])
            #expect(tcp.statPrefix == "tcp.")
        }
        let inputs = fixture.translator.authorizationInputs(snapshot: fixture.snapshot, proxy: fixture.proxy)
        #expect(inputs.posture == .defaultDeny)
        #expect(inputs.authorizationPolicies.map(\.description) == ["AuthorizationPolicy/default/none"])
        #expect(inputs.listeners == ["virtualInbound"])
    }

    @Test("`rules: [{}]` allows everything: one policy of any permission and any principal")
    func allowAll() throws {
        let fixture = try Self.fixture(
            #"{"authorizationPolicies": [{"metadata": {"name": "all", "namespace": "default"}, "rules": [{}]}]}"#)
        let policy = try #require(try Self.httpRBAC(fixture).only?.rules.policies["ns[default]-policy[all]-rule[0]"])
        #expect(policy.permissions.first?.andRules.rules.first?.any == true)
        #expect(policy.principals.first?.andIds.ids.first?.any == true)
        #expect(
            fixture.translator.authorizationInputs(snapshot: fixture.snapshot, proxy: fixture.proxy).posture
                == .allowSome)
    }

    @Test("HTTP filters come in istiod's order: jwt_authn, CUSTOM (shadow RBAC, ext_authz), AUDIT, DENY, ALLOW")
    func filterOrder() throws {
        let fixture = try Self.fixture(
            #"""
            {"meshConfig": {"extensionProviders": [{"name": "ext", "envoyExtAuthzGrpc": {"service": "ops/authz", "port": 9000}}]},
             "requestAuthentications": [{"metadata": {"name": "ra", "namespace": "default"}, "jwtRules": [{"issuer": "i", "jwks": "{\"keys\":[]}"}]}],
             "authorizationPolicies": [
               {"metadata": {"name": "a", "namespace": "default"}, "action": "ALLOW", "rules": [{}]},
               {"metadata": {"name": "b", "namespace": "default"}, "action": "DENY", "rules": [{"to": [{"operation": {"methods": ["DELETE"]}}]}]},
               {"metadata": {"name": "c", "namespace": "default"}, "action": "AUDIT", "rules": [{}]},
               {"metadata": {"name": "d", "namespace": "default"}, "action": "CUSTOM", "provider": "ext", "rules": [{}]}]}
            """#)
        let names = try Self.httpFilters(fixture).map(\.name)
        #expect(
            names == [
                "envoy.filters.http.jwt_authn", "envoy.filters.http.rbac", "envoy.filters.http.ext_authz",
                "envoy.filters.http.rbac", "envoy.filters.http.rbac", "envoy.filters.http.rbac",
                "envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router",
            ])
        let rbac = try Self.httpRBAC(fixture)
        #expect(
            rbac.map { $0.hasRules ? "\($0.rules.action)" : "shadow \($0.shadowRules.action)" } == [
                "shadow deny", "log", "deny", "allow",
            ])
        // CUSTOM: never enforced; its rules record a name ext_authz is enabled by.
        #expect(rbac[0].shadowRulesStatPrefix == "istio_ext_authz_")
        #expect(rbac[0].shadowRules.policies.keys.sorted() == ["istio-ext-authz-ext-ns[default]-policy[d]-rule[0]"])
        let extAuthz = try ExtAuthz(unpackingAny: try Self.httpFilters(fixture)[2].typedConfig)
        #expect(extAuthz.grpcService.envoyGrpc.clusterName == "outbound|9000||authz.ops.svc.cluster.local")
        #expect(extAuthz.filterEnabledMetadata.path.map(\.key) == ["istio_ext_authz_shadow_effective_policy_id"])
        #expect(extAuthz.filterEnabledMetadata.value.stringMatch.prefix == "istio-ext-authz-ext-")
        // The provider's cluster is in CDS.
        let clusters = fixture.resources(TypeURL.cluster, as: Envoy_Config_Cluster_V3_Cluster.self)
        #expect(clusters["outbound|9000||authz.ops.svc.cluster.local"] != nil)
    }

    @Test("on TCP an ALLOW rule using HTTP-only fields matches nothing, a DENY rule drops those fields and denies more")
    func tcpRules() throws {
        let fixture = try Self.fixture(
            #"""
            {"authorizationPolicies": [
               {"metadata": {"name": "allow-get", "namespace": "default"}, "rules": [{"to": [{"operation": {"methods": ["GET"]}}]}, {"to": [{"operation": {"ports": ["5432"]}}]}]},
               {"metadata": {"name": "deny-admin", "namespace": "default"}, "action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["bad"]}}], "to": [{"operation": {"paths": ["/admin"]}}]}]}]}
            """#)
        let tcp = try Self.networkRBAC(fixture)
        let deny = try #require(tcp.first { $0.rules.action == .deny })
        let denyPolicy = try #require(deny.rules.policies["ns[default]-policy[deny-admin]-rule[0]"])
        // The path is gone; the namespace stays: every TCP connection from `bad` is refused.
        #expect(denyPolicy.permissions.first?.andRules.rules.first?.any == true)
        #expect(
            denyPolicy.principals.first?.andIds.ids.first?.orIds.ids.first?.authenticated.principalName.safeRegex.regex
                == ".*/ns/bad/.*")
        let allow = try #require(tcp.first { $0.rules.action == .allow })
        #expect(allow.rules.policies.keys.sorted() == ["ns[default]-policy[allow-get]-rule[1]"])
        // On HTTP both ALLOW rules are there.
        let httpAllow = try #require(try Self.httpRBAC(fixture).first { $0.rules.action == .allow })
        #expect(httpAllow.rules.policies.count == 2)
    }

    @Test("a CUSTOM policy with an unknown provider denies what it matches, with a warning naming the provider")
    func unknownProviderFailsClosed() throws {
        let fixture = try Self.fixture(
            #"{"authorizationPolicies": [{"metadata": {"name": "ext", "namespace": "default"}, "action": "CUSTOM", "provider": "opa", "rules": [{"to": [{"operation": {"paths": ["/admin*"]}}]}]}]}"#
        )
        let filters = try Self.httpFilters(fixture)
        #expect(!filters.contains { $0.name == "envoy.filters.http.ext_authz" })
        let deny = try #require(try Self.httpRBAC(fixture).only)
        #expect(deny.rules.action == .deny)
        #expect(
            deny.rules.policies.keys.sorted() == [
                "istio-ext-authz-opa-ns[default]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action"
            ])
        let inputs = fixture.translator.authorizationInputs(snapshot: fixture.snapshot, proxy: fixture.proxy)
        #expect(inputs.warnings.contains { $0.contains("opa") && $0.contains("default/ext") && $0.contains("denied") })
    }

    @Test("dry-run policies are shadow rules with istiod's stat prefixes, never enforced")
    func dryRun() throws {
        let fixture = try Self.fixture(
            #"""
            {"authorizationPolicies": [
               {"metadata": {"name": "try-allow", "namespace": "default"}, "dryRun": true, "rules": [{"to": [{"operation": {"paths": ["/x"]}}]}]},
               {"metadata": {"name": "try-deny", "namespace": "default"}, "action": "DENY", "dryRun": true, "rules": [{}]}]}
            """#)
        let rbac = try Self.httpRBAC(fixture)
        #expect(rbac.count == 2)
        #expect(rbac.allSatisfy { !$0.hasRules && $0.hasShadowRules })
        #expect(rbac.map(\.shadowRulesStatPrefix) == ["istio_dry_run_deny_", "istio_dry_run_allow_"])
        #expect(
            fixture.translator.authorizationInputs(snapshot: fixture.snapshot, proxy: fixture.proxy).posture == .open)
    }

    @Test("principals expand over the trust domain and its aliases; cluster.local stands for the local domain")
    func trustDomainAliases() throws {
        let fixture = try Self.fixture(
            #"""
            {"meshConfig": {"trustDomain": "prod.example", "trustDomainAliases": ["old.example"]},
             "authorizationPolicies": [{"metadata": {"name": "p", "namespace": "default"}, "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/a/sa/b", "other.example/ns/c/sa/d", "*/sa/e"]}}]}]}]}
            """#)
        let policy = try #require(try Self.httpRBAC(fixture).only?.rules.policies["ns[default]-policy[p]-rule[0]"])
        let names = try #require(policy.principals.first?.andIds.ids.first?.orIds.ids).map { principal -> String in
            let name = principal.authenticated.principalName
            return name.exact.isEmpty ? name.safeRegex.regex : name.exact
        }
        #expect(
            names == [
                "spiffe://prod.example/ns/a/sa/b", "spiffe://old.example/ns/a/sa/b", "spiffe://other.example/ns/c/sa/d",
                "spiffe://.*/sa/e",
            ])
    }

    @Test("request principals match iss and sub of the verified JWT, split at the last slash")
    func requestPrincipals() throws {
        let fixture = try Self.fixture(
            #"{"authorizationPolicies": [{"metadata": {"name": "p", "namespace": "default"}, "rules": [{"from": [{"source": {"requestPrincipals": ["https://idp.example/tenant/user-1"]}}]}]}]}"#
        )
        let policy = try #require(try Self.httpRBAC(fixture).only?.rules.policies["ns[default]-policy[p]-rule[0]"])
        let pair = try #require(policy.principals.first?.andIds.ids.first?.orIds.ids.first?.andIds.ids)
        let matchers = pair.map(\.sourcedMetadata.metadataMatcher)
        #expect(matchers.map(\.filter) == ["envoy.filters.http.jwt_authn", "envoy.filters.http.jwt_authn"])
        #expect(matchers.map { $0.path.map(\.key) } == [["payload", "iss"], ["payload", "sub"]])
        #expect(matchers.map(\.value.stringMatch.exact) == ["https://idp.example/tenant", "user-1"])
    }

    @Test("a jwksUri meshd has not fetched gets keys that verify nothing, and a warning naming the policy and URI")
    func missingKeysFailClosed() throws {
        let fixture = try Self.fixture(
            #"""
            {"requestAuthentications": [{"metadata": {"name": "ra", "namespace": "default"}, "jwtRules": [
               {"issuer": "https://a", "jwksUri": "https://a/keys"}, {"issuer": "https://b", "jwksUri": "https://b/keys"}]}],
             "fetchedJWKS": {"https://b/keys": "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}"}}
            """#)
        let jwtFilter = try #require(try Self.httpFilters(fixture).first)
        #expect(jwtFilter.name == "envoy.filters.http.jwt_authn")
        let jwt = try JWT(unpackingAny: jwtFilter.typedConfig)
        let a = try #require(jwt.providers["origins-0"])
        let b = try #require(jwt.providers["origins-1"])
        #expect(a.localJwks.inlineString.contains("meshd-no-keys"))
        #expect(b.localJwks.inlineString == #"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#)
        #expect(a.payloadInMetadata == "payload" && b.payloadInMetadata == "payload")
        // Missing token passes (AuthorizationPolicy decides); an invalid one fails.
        let requirements = try #require(jwt.rules.only).requires.requiresAny.requirements
        #expect(requirements.map(\.providerName).prefix(2) == ["origins-0", "origins-1"])
        if case .allowMissing = requirements.last?.requiresType {
        } else {
            Issue.record("the last requirement is not allow_missing")
        }
        let warnings = fixture.translator.authorizationInputs(snapshot: fixture.snapshot, proxy: fixture.proxy).warnings
        #expect(warnings.contains { $0.contains("default/ra") && $0.contains("https://a/keys") })
        #expect(!warnings.contains { $0.contains("https://b/keys") })
    }

    @Test(
        "a key set Envoy would refuse (and with it the listener) is replaced by keys that verify nothing, with a warning"
    )
    func invalidKeySetFailsClosed() throws {
        let fixture = try Self.fixture(
            #"""
            {"requestAuthentications": [{"metadata": {"name": "ra", "namespace": "default"}, "jwtRules": [
               {"issuer": "https://a", "jwks": "not json"}, {"issuer": "https://b", "jwks": "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\"}]}"}]}]}
            """#)
        let jwt = try JWT(unpackingAny: try #require(try Self.httpFilters(fixture).first).typedConfig)
        #expect(jwt.providers.values.allSatisfy { $0.localJwks.inlineString.contains("meshd-no-keys") })
        let warnings = fixture.translator.authorizationInputs(snapshot: fixture.snapshot, proxy: fixture.proxy).warnings
        #expect(warnings.contains { $0.contains("jwtRules[0]") && $0.contains("not a JSON object") })
        #expect(warnings.contains { $0.contains("jwtRules[1]") && $0.contains("without n") })
    }

    @Test("policies of other namespaces and non-matching selectors do not apply; the root namespace applies everywhere")
    func selection() throws {
        let json = #"""
            {"authorizationPolicies": [
               {"metadata": {"name": "other-ns", "namespace": "shop"}, "action": "DENY", "rules": [{}]},
               {"metadata": {"name": "other-app", "namespace": "default"}, "selector": {"app": "web"}, "action": "DENY", "rules": [{}]},
               {"metadata": {"name": "mesh-wide", "namespace": "istio-system"}, "action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/debug"]}}]}]}]}
            """#
        let fixture = try Self.fixture(json)
        let deny = try #require(try Self.httpRBAC(fixture).only)
        #expect(deny.rules.policies.keys.sorted() == ["ns[istio-system]-policy[mesh-wide]-rule[0]"])
        let web = try Self.fixture(json, labels: ["app": "web"])
        // The pod's own labels decide (app: api), not the labels the proxy reports.
        #expect(try Self.httpRBAC(web).only?.rules.policies.count == 1)
    }

    @Test("path templates become regexes with Envoy's URI template semantics")
    func pathTemplates() throws {
        let fixture = try Self.fixture(
            #"{"authorizationPolicies": [{"metadata": {"name": "p", "namespace": "default"}, "rules": [{"to": [{"operation": {"paths": ["/v1/{*}/items/{**}"]}}]}]}]}"#
        )
        let policy = try #require(try Self.httpRBAC(fixture).only?.rules.policies["ns[default]-policy[p]-rule[0]"])
        let pattern = try #require(policy.permissions.first?.andRules.rules.first?.orRules.rules.first).urlPath.path
            .safeRegex.regex
        let regex = try Regex(pattern)
        for path in ["/v1/a/items/", "/v1/a/items/b/c", "/v1/a-b_c/items/x"] {
            #expect((try? regex.wholeMatch(in: path)) != nil, "\(path) should match \(pattern)")
        }
        for path in ["/v1//items/x", "/v1/a/b/items/x", "/v2/a/items/x", "/v1/a/item"] {
            #expect((try? regex.wholeMatch(in: path)) == nil, "\(path) should not match \(pattern)")
        }
    }

    @Test("a gateway gets the policies selected by its labels on its HTTP connection managers")
    func gateway() throws {
        let golden = try #require(GoldenCase.all.first { $0.name == "authz-gateway" })
        let fixture = try golden.fixture()
        let listeners = fixture.resources(TypeURL.listener, as: Listener.self)
        let http = try #require(listeners["0.0.0.0_80"])
        let manager = try HCM(unpackingAny: try #require(http.filterChains.first?.filters.first).typedConfig)
        #expect(
            manager.httpFilters.map(\.name) == [
                "envoy.filters.http.jwt_authn", "envoy.filters.http.rbac", "envoy.filters.http.rbac",
                "envoy.filters.http.router",
            ])
        let inputs = fixture.translator.authorizationInputs(snapshot: fixture.snapshot, proxy: fixture.proxy)
        #expect(inputs.listeners.contains("0.0.0.0_80"))
        #expect(inputs.all.map(\.name).sorted() == ["ingress-allow", "ingress-deny-admin", "ingress-jwt"])
    }
}

extension Collection {
    /// The one element, or nil when there are none or several.
    fileprivate var only: Element? { count == 1 ? first : nil }
}
