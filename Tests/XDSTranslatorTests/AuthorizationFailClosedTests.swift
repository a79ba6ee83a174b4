import EnvoyAPI
import Foundation
import MeshModel
import SwiftProtobuf
import Testing
import XDSTranslator

/// Fields of the newer Istio API that a translator ignoring them would turn into a policy that matches more (ALLOW)
/// or less (DENY) than istiod: each must reach the generated RBAC or jwt_authn config.
@Suite("Authorization: newer fields are enforced, not ignored")
struct AuthorizationFailClosedTests {
    typealias Listener = Envoy_Config_Listener_V3_Listener
    typealias HCM = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
    typealias HTTPRBAC = Envoy_Extensions_Filters_Http_Rbac_V3_RBAC
    typealias JWT = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtAuthentication

    static let mesh = MeshYAML.join(
        MeshYAML.service("api", clusterIP: "10.96.1.1", ports: [("http", 80, 8080)]),
        MeshYAML.pod("api-1", ip: "10.1.1.1", labels: ["app": "api"]))

    static func fixture(_ policies: String) throws -> MeshFixture {
        try MeshFixture(
            yaml: MeshYAML.join(mesh, policies), nodeID: sidecarID(ip: "10.1.1.1", pod: "api-1"),
            metadata: ["NAMESPACE": "default", "INSTANCE_IPS": "10.1.1.1"], labels: ["app": "api"],
            identity: WorkloadIdentity(namespace: "default", serviceAccount: "api"))
    }

    static func httpFilters(
        _ fixture: MeshFixture
    ) throws -> [Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter] {
        let listener = try #require(fixture.resources(TypeURL.listener, as: Listener.self)["virtualInbound"])
        let chain = try #require(listener.filterChains.first { $0.name == "inbound_0.0.0.0_8080_mtls" })
        return try HCM(unpackingAny: try #require(chain.filters.first).typedConfig).httpFilters
    }

    static func rbac(_ fixture: MeshFixture, _ action: Envoy_Config_Rbac_V3_RBAC.Action) throws -> HTTPRBAC {
        let all = try httpFilters(fixture).filter { $0.name == "envoy.filters.http.rbac" }
            .map { try HTTPRBAC(unpackingAny: $0.typedConfig) }
        return try #require(all.first { $0.rules.action == action })
    }

    /// Every regex in `principal`'s tree (authenticated names and metadata string matchers).
    static func regexes(_ message: some SwiftProtobuf.Message) throws -> [String] {
        let json = try message.jsonString()
        let pattern = try Regex(#""regex":"((?:[^"\\]|\\.)*)""#)
        return json.matches(of: pattern).compactMap { match in
            match.output[1].substring.map { String($0).replacingOccurrences(of: "\\\\", with: "\\") }
        }
    }

    static func policy(_ name: String, action: String, rule: String) -> String {
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: \(name), namespace: default}
        spec:
          selector: {matchLabels: {app: api}}
          action: \(action)
          rules:
        \(rule)
        """
    }

    @Test("`from.source.trustDomains` and its not form match the peer certificate's trust domain")
    func trustDomains() throws {
        let fixture = try Self.fixture(
            Self.policy(
                "td", action: "ALLOW",
                rule: "  - from: [{source: {trustDomains: [partner.example], notTrustDomains: [\"bad*\"]}}]"))
        let allow = try Self.rbac(fixture, .allow)
        let principal = try #require(allow.rules.policies["ns[default]-policy[td]-rule[0]"]?.principals.first)
        let found = try Self.regexes(principal)
        #expect(found.contains(#"spiffe://partner\.example/.*"#))
        #expect(found.contains(#"spiffe://bad.*/.*"#))
        // The not form is negated: the rule is and(trust domain, not(or(bad*))).
        #expect(try principal.jsonString().contains("notId"))
    }

    @Test("`when` on source.trustDomain is a trust-domain match, not an unknown attribute")
    func trustDomainCondition() throws {
        let fixture = try Self.fixture(
            Self.policy("td-when", action: "DENY", rule: "  - when: [{key: source.trustDomain, values: [other.td]}]"))
        let deny = try Self.rbac(fixture, .deny)
        let principal = try #require(deny.rules.policies["ns[default]-policy[td-when]-rule[0]"]?.principals.first)
        #expect(try Self.regexes(principal).contains(#"spiffe://other\.td/.*"#))
        let inputs = fixture.translator.authorizationInputs(snapshot: fixture.snapshot, proxy: fixture.proxy)
        #expect(inputs.warnings.isEmpty, "\(inputs.warnings)")
    }

    @Test("space-delimited claims (scope, permission, spaceDelimitedClaims) also match one word of a string claim")
    func spaceDelimitedClaims() throws {
        let fixture = try Self.fixture(
            MeshYAML.join(
                """
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: jwt, namespace: default}
                spec:
                  selector: {matchLabels: {app: api}}
                  jwtRules:
                  - issuer: https://issuer.example
                    jwks: '{"keys":[]}'
                    spaceDelimitedClaims: [roles]
                """,
                Self.policy(
                    "claims", action: "DENY",
                    rule: """
                          - when:
                            - {key: "request.auth.claims[scope]", values: [admin]}
                            - {key: "request.auth.claims[roles]", values: ["ops*"]}
                            - {key: "request.auth.claims[group]", values: [staff]}
                        """)))
        let deny = try Self.rbac(fixture, .deny)
        let principal = try #require(deny.rules.policies["ns[default]-policy[claims]-rule[0]"]?.principals.first)
        let found = try Self.regexes(principal)
        #expect(found.contains("(.* )?admin( .*)?"))
        #expect(found.contains("(.* )?ops[^ ]*( .*)?"))
        // A claim nobody declared space-delimited is matched whole, as istiod does.
        #expect(!found.contains { $0.contains("staff") })
    }

    @Test("`presence: REQUIRED` drops allow_missing, so a request without a token is refused by jwt_authn")
    func presenceRequired() throws {
        func requirement(_ presence: String) throws -> Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirement {
            let fixture = try Self.fixture(
                """
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: jwt, namespace: default}
                spec:
                  selector: {matchLabels: {app: api}}
                  jwtRules:
                  - {issuer: https://issuer.example, jwks: '{"keys":[]}'\(presence)}
                """)
            let filter = try #require(try Self.httpFilters(fixture).first { $0.name == "envoy.filters.http.jwt_authn" })
            return try #require(try JWT(unpackingAny: filter.typedConfig).rules.first?.requires)
        }
        let optional = try requirement("")
        #expect(optional.requiresAny.requirements.contains { $0.allowMissing == Google_Protobuf_Empty() })
        let required = try requirement(", presence: REQUIRED")
        #expect(required.providerName == "origins-0")
        #expect(required.requiresAny.requirements.isEmpty)
    }
}
