import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing

@testable import AuthzSimulator

typealias Permission = Envoy_Config_Rbac_V3_Permission
typealias Principal = Envoy_Config_Rbac_V3_Principal

/// Small builders for hand-made RBAC trees.
enum RBAC {
    static func string(
        exact: String? = nil, prefix: String? = nil, suffix: String? = nil, regex: String? = nil,
        ignoreCase: Bool = false
    )
        -> Envoy_Type_Matcher_V3_StringMatcher
    {
        var matcher = Envoy_Type_Matcher_V3_StringMatcher()
        if let exact { matcher.exact = exact }
        if let prefix { matcher.prefix = prefix }
        if let suffix { matcher.suffix = suffix }
        if let regex {
            var r = Envoy_Type_Matcher_V3_RegexMatcher()
            r.regex = regex
            matcher.safeRegex = r
        }
        matcher.ignoreCase = ignoreCase
        return matcher
    }

    static func header(
        _ name: String, _ string: Envoy_Type_Matcher_V3_StringMatcher? = nil, invert: Bool = false
    ) -> Envoy_Config_Route_V3_HeaderMatcher {
        var header = Envoy_Config_Route_V3_HeaderMatcher()
        header.name = name
        if let string { header.stringMatch = string } else { header.presentMatch = true }
        header.invertMatch = invert
        return header
    }

    static func cidr(_ prefix: String, _ length: UInt32) -> Envoy_Config_Core_V3_CidrRange {
        var range = Envoy_Config_Core_V3_CidrRange()
        range.addressPrefix = prefix
        range.prefixLen = Google_Protobuf_UInt32Value(length)
        return range
    }

    static func path(_ string: Envoy_Type_Matcher_V3_StringMatcher) -> Permission {
        var matcher = Envoy_Type_Matcher_V3_PathMatcher()
        matcher.path = string
        var permission = Permission()
        permission.urlPath = matcher
        return permission
    }

    static func principal(_ name: Envoy_Type_Matcher_V3_StringMatcher) -> Principal {
        var authenticated = Principal.Authenticated()
        authenticated.principalName = name
        var principal = Principal()
        principal.authenticated = authenticated
        return principal
    }

    static func claim(_ path: [String], _ string: Envoy_Type_Matcher_V3_StringMatcher) -> Principal {
        var value = Envoy_Type_Matcher_V3_ValueMatcher()
        value.stringMatch = string
        var list = Envoy_Type_Matcher_V3_ListMatcher()
        list.oneOf = value
        var listValue = Envoy_Type_Matcher_V3_ValueMatcher()
        listValue.listMatch = list
        var or = Envoy_Type_Matcher_V3_OrMatcher()
        or.valueMatchers = [value, listValue]
        var orValue = Envoy_Type_Matcher_V3_ValueMatcher()
        orValue.orMatch = or
        var matcher = Envoy_Type_Matcher_V3_MetadataMatcher()
        matcher.filter = "envoy.filters.http.jwt_authn"
        matcher.path = (["payload"] + path).map { key in
            var segment = Envoy_Type_Matcher_V3_MetadataMatcher.PathSegment()
            segment.key = key
            return segment
        }
        matcher.value = orValue
        var sourced = Envoy_Config_Rbac_V3_SourcedMetadata()
        sourced.metadataMatcher = matcher
        var principal = Principal()
        principal.sourcedMetadata = sourced
        return principal
    }

    static func policy(_ permissions: [Permission], _ principals: [Principal]) -> Envoy_Config_Rbac_V3_Policy {
        var policy = Envoy_Config_Rbac_V3_Policy()
        policy.permissions = permissions
        policy.principals = principals
        return policy
    }

    static func rules(
        _ action: Envoy_Config_Rbac_V3_RBAC.Action, _ policies: [String: Envoy_Config_Rbac_V3_Policy]
    ) -> Envoy_Config_Rbac_V3_RBAC {
        var rules = Envoy_Config_Rbac_V3_RBAC()
        rules.action = action
        rules.policies = policies
        return rules
    }

    static var anyPermission: Permission {
        var permission = Permission()
        permission.any = true
        return permission
    }

    static var anyPrincipal: Principal {
        var principal = Principal()
        principal.any = true
        return principal
    }
}

func input(_ request: SimulatedRequest, metadata: [String: MetadataValue] = [:], http: Bool = true) -> RBACInput {
    RBACInput(request: request, metadata: metadata, isHTTP: http)
}

let baseRequest = SimulatedRequest(
    sourceIP: "10.1.0.4", principal: "spiffe://cluster.local/ns/web/sa/frontend", destinationIP: "10.2.0.5",
    destinationPort: 8080, method: "GET", path: "/api/items?page=2", host: "orders.shop:8080",
    headers: [(name: "X-Team", value: "blue"), (name: "x-team", value: "green")])

@Suite("RBAC evaluator over hand-built protos")
struct RBACEvaluatorTests {
    @Test func stringMatchers() {
        #expect(Matchers.matches(RBAC.string(exact: "GET"), "GET"))
        #expect(!Matchers.matches(RBAC.string(exact: "GET"), "get"))
        #expect(Matchers.matches(RBAC.string(exact: "GET", ignoreCase: true), "get"))
        #expect(Matchers.matches(RBAC.string(prefix: "/api"), "/api/x"))
        #expect(Matchers.matches(RBAC.string(suffix: ".png"), "/a.png"))
        #expect(Matchers.matches(RBAC.string(regex: ".+"), "x"))
        #expect(!Matchers.matches(RBAC.string(regex: ".+"), ""))
        #expect(!Matchers.matches(RBAC.string(regex: "/a"), "/ab"), "regexes match the whole value, as RE2 full match")
        #expect(!Matchers.matches(Envoy_Type_Matcher_V3_StringMatcher(), "x"), "an empty matcher matches nothing")
    }

    @Test func headersPathsAndPseudoHeaders() {
        let r = input(baseRequest)
        #expect(RBACEvaluator.matches(RBAC.path(RBAC.string(exact: "/api/items")), r), "url_path ignores the query")
        var byMethod = Permission()
        byMethod.header = RBAC.header(":method", RBAC.string(exact: "GET"))
        #expect(RBACEvaluator.matches(byMethod, r))
        var joined = Permission()
        joined.header = RBAC.header("x-team", RBAC.string(exact: "blue,green"))
        #expect(RBACEvaluator.matches(joined, r), "repeated headers are joined with a comma")
        var missing = Permission()
        missing.header = RBAC.header("x-missing", RBAC.string(exact: "a"), invert: true)
        #expect(!RBACEvaluator.matches(missing, r), "a missing header never matches, even inverted")
        var present = Permission()
        present.header = RBAC.header("x-team")
        #expect(RBACEvaluator.matches(present, r))
        #expect(!RBACEvaluator.matches(present, input(baseRequest, http: false)), "no headers on a TCP chain")
    }

    @Test func addressesPortsAndSNI() {
        let r = input(baseRequest)
        var sourceIn = Principal()
        sourceIn.directRemoteIp = RBAC.cidr("10.1.0.0", 16)
        #expect(RBACEvaluator.matches(sourceIn, r))
        var sourceOut = Principal()
        sourceOut.directRemoteIp = RBAC.cidr("10.2.0.0", 16)
        #expect(!RBACEvaluator.matches(sourceOut, r))
        var exactHost = Principal()
        exactHost.remoteIp = RBAC.cidr("10.1.0.4", 32)
        #expect(RBACEvaluator.matches(exactHost, r))
        var v6 = Principal()
        v6.directRemoteIp = RBAC.cidr("fd00::", 8)
        #expect(!RBACEvaluator.matches(v6, r), "an IPv6 range never matches an IPv4 peer")
        var destination = Permission()
        destination.destinationIp = RBAC.cidr("10.2.0.5", 32)
        #expect(RBACEvaluator.matches(destination, r))
        var port = Permission()
        port.destinationPort = 8080
        #expect(RBACEvaluator.matches(port, r))
        var range = Permission()
        var int32Range = Envoy_Type_V3_Int32Range()
        int32Range.start = 8000
        int32Range.end = 8080
        range.destinationPortRange = int32Range
        #expect(!RBACEvaluator.matches(range, r), "port ranges are half-open")
        var sni = Permission()
        sni.requestedServerName = RBAC.string(suffix: ".example.com")
        #expect(!RBACEvaluator.matches(sni, r))
        var withSNI = baseRequest
        withSNI.serverName = "api.example.com"
        #expect(RBACEvaluator.matches(sni, input(withSNI)))
    }

    @Test func andOrNotAndAuthenticated() {
        let r = input(baseRequest)
        let frontend = RBAC.principal(RBAC.string(exact: "spiffe://cluster.local/ns/web/sa/frontend"))
        let other = RBAC.principal(RBAC.string(exact: "spiffe://cluster.local/ns/web/sa/other"))
        var and = Principal()
        and.andIds.ids = [frontend, RBAC.anyPrincipal]
        var or = Principal()
        or.orIds.ids = [other, frontend]
        var not = Principal()
        not.notID = other
        #expect(RBACEvaluator.matches(and, r))
        #expect(RBACEvaluator.matches(or, r))
        #expect(RBACEvaluator.matches(not, r))
        var plaintext = baseRequest
        plaintext.principal = nil
        #expect(!RBACEvaluator.matches(frontend, input(plaintext)), "a plaintext peer is never authenticated")
        var anyAuthenticated = Principal()
        anyAuthenticated.authenticated = Principal.Authenticated()
        #expect(RBACEvaluator.matches(anyAuthenticated, r))
        #expect(!RBACEvaluator.matches(anyAuthenticated, input(plaintext)))
    }

    @Test func jwtClaimsInMetadata() {
        let payload = MetadataValue.object([
            "iss": .string("https://issuer"), "sub": .string("alice"),
            "groups": .list([.string("dev"), .string("ops")]),
            "nested": .object(["team": .string("core")]),
        ])
        let metadata = ["envoy.filters.http.jwt_authn": MetadataValue.object(["payload": payload])]
        let r = input(baseRequest, metadata: metadata)
        #expect(RBACEvaluator.matches(RBAC.claim(["sub"], RBAC.string(exact: "alice")), r))
        #expect(
            RBACEvaluator.matches(RBAC.claim(["groups"], RBAC.string(exact: "ops")), r),
            "a list claim matches any element")
        #expect(RBACEvaluator.matches(RBAC.claim(["nested", "team"], RBAC.string(exact: "core")), r))
        #expect(!RBACEvaluator.matches(RBAC.claim(["sub"], RBAC.string(exact: "bob")), r))
        #expect(
            !RBACEvaluator.matches(RBAC.claim(["sub"], RBAC.string(exact: "alice")), input(baseRequest)),
            "no token, no claims")
    }

    @Test func engineActionsAndFirstMatchByName() {
        let r = input(baseRequest)
        let admin = RBAC.policy([RBAC.path(RBAC.string(prefix: "/admin"))], [RBAC.anyPrincipal])
        let api = RBAC.policy([RBAC.path(RBAC.string(prefix: "/api"))], [RBAC.anyPrincipal])
        let deny = RBACEvaluator.evaluate(RBAC.rules(.deny, ["ns[a]-policy[x]-rule[0]": admin]), r)
        #expect(deny.allowed && deny.matchedPolicy == nil)
        let denyAPI = RBACEvaluator.evaluate(
            RBAC.rules(.deny, ["ns[a]-policy[z]-rule[0]": api, "ns[a]-policy[b]-rule[0]": api]), r)
        #expect(!denyAPI.allowed)
        #expect(denyAPI.matchedPolicy == "ns[a]-policy[b]-rule[0]", "policies are tried in name order")
        let allow = RBACEvaluator.evaluate(RBAC.rules(.allow, ["ns[a]-policy[x]-rule[0]": admin]), r)
        #expect(!allow.allowed, "ALLOW with no match denies")
        let log = RBACEvaluator.evaluate(RBAC.rules(.log, ["ns[a]-policy[x]-rule[0]": api]), r)
        #expect(log.allowed && log.matchedPolicy == "ns[a]-policy[x]-rule[0]")
        let permissionOnly = RBAC.policy([RBAC.anyPermission], [])
        #expect(!RBACEvaluator.matches(permissionOnly, r), "a policy needs a permission and a principal")
    }

    @Test func policyNamesParse() throws {
        let plain = try #require(PolicyRuleName("ns[shop]-policy[deny-admin]-rule[1]"))
        #expect(plain.description == "shop/deny-admin rules[1]")
        #expect(plain.provider == nil)
        let custom = try #require(PolicyRuleName("istio-ext-authz-my-authz-ns[shop]-policy[ext]-rule[0]"))
        #expect(custom.provider == "my-authz")
        #expect(custom.policy == "ext")
        #expect(PolicyRuleName("something-else") == nil)
    }
}
