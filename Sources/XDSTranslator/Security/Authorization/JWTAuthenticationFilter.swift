import EnvoyAPI
import Foundation
import MeshModel
import SwiftProtobuf

/// RequestAuthentication as Envoy's jwt_authn filter, as istiod builds it: one provider `origins-<i>` per JWT rule
/// of every applicable RequestAuthentication (in order), and one requirement for every path: any provider, or no
/// token at all. An invalid token (signature, expiry, issuer, audience) is refused with 401; a request without a
/// token goes on, and AuthorizationPolicy decides. Each provider publishes the verified payload in the filter's
/// dynamic metadata under `payload`, where the RBAC rules for `requestPrincipals` and `request.auth.*` read it
/// (istiod reads it through istio-proxy's own `istio_authn` filter, which upstream Envoy lacks).
enum JWTAuthenticationFilter {
    static let filterName = "envoy.filters.http.jwt_authn"

    /// The claims Istio treats as space-separated lists whatever the RequestAuthentication says.
    static let defaultSpaceDelimitedClaims: Set<String> = ["scope", "permission"]

    /// `defaultSpaceDelimitedClaims` and every `spaceDelimitedClaims` of `policies`' JWT rules.
    static func spaceDelimitedClaims(of policies: [RequestAuthentication]) -> Set<String> {
        defaultSpaceDelimitedClaims.union(policies.flatMap { $0.jwtRules.flatMap(\.spaceDelimitedClaims) })
    }

    /// A key set no one holds the private key of: a provider whose keys meshd does not have rejects every token.
    static let verifiesNothingJWKS =
        #"{"keys":[{"kty":"RSA","kid":"meshd-no-keys","alg":"RS256","use":"sig","e":"AQAB","n":"pcqeuQ6ptj01od_x4KhZsVVTr7bwFnQqnWrTOI9JDyl-LTGD97FKpZBTAFrTWekykw6e5gJUCwfiveXHKeUTMY0GDMucsmeIfJf4hlgrbt0ij5-qr1gqBAtxW8aQvqQz-UGE7vQPHWxHpv4hz-KJITdXBZOcLS9QfOu_b6oVQoeaDZ3uWlaR1pd6HStZ8r2hor8WsSFoqkM18nSI5KlrdKhBpTFCV7b3pO9MgxxbquFlryJVDCpc-cunWwSMHZ-UCUAnXsqFnbVtY7RoKmjtmIhhn3WLjvjLno_k371pXEfD5h6C-gVJXz_BfKeZOkmsh6LyPRUBW_-cKiZ4Ev0X-Q"}]}"#

    /// The filter for `policies` (nil when they have no JWT rule), and a warning for each provider left without keys.
    static func filter(
        _ policies: [RequestAuthentication], fetchedJWKS: [String: String], warnings: inout [String]
    ) -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter? {
        typealias JWT = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtAuthentication
        var config = JWT()
        var requirements: [Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirement] = []
        var index = 0
        for policy in policies {
            for (ruleIndex, rule) in policy.jwtRules.enumerated() {
                let name = "origins-\(index)"
                index += 1
                let where_ = "RequestAuthentication \(policy.meta.namespace)/\(policy.meta.name) jwtRules[\(ruleIndex)]"
                config.providers[name] = provider(rule, fetchedJWKS: fetchedJWKS, context: where_, warnings: &warnings)
                var requirement = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirement()
                requirement.providerName = name
                requirements.append(requirement)
            }
        }
        guard !requirements.isEmpty else { return nil }
        // A token may be missing, unless a rule says `presence: REQUIRED`: then every request needs a token that one
        // of the providers verifies (stricter than one requirement per rule, never looser).
        let tokenRequired = policies.contains { $0.jwtRules.contains { $0.presence == .required } }
        var allowMissing = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirement()
        allowMissing.allowMissing = Google_Protobuf_Empty()
        var anyOf = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirementOrList()
        anyOf.requirements = tokenRequired ? requirements : requirements + [allowMissing]
        var requires = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirement()
        if anyOf.requirements.count == 1, let only = anyOf.requirements.first {
            requires = only  // requires_any needs two entries
        } else {
            requires.requiresAny = anyOf
        }
        var match = Envoy_Config_Route_V3_RouteMatch()
        match.prefix = "/"
        var rule = Envoy_Extensions_Filters_Http_JwtAuthn_V3_RequirementRule()
        rule.match = match
        rule.requires = requires
        config.rules = [rule]
        config.bypassCorsPreflight = true
        var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        filter.name = filterName
        filter.typedConfig = packAny(config)
        return filter
    }

    /// One provider. Keys: the inline `jwks`, else what meshd fetched from `jwksUri`, else a set that verifies
    /// nothing (fail closed), with a warning naming the policy and the URI.
    static func provider(
        _ rule: JWTRule, fetchedJWKS: [String: String], context: String, warnings: inout [String]
    ) -> Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtProvider {
        var provider = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtProvider()
        provider.issuer = rule.issuer
        provider.audiences = rule.audiences
        var keys = Envoy_Config_Core_V3_DataSource()
        let problem: String?
        if let inline = rule.jwks, !inline.isEmpty {
            problem = JSONWebKeySet.envoyProblem(inline).map { "its inline jwks \(describe($0))" }
            keys.inlineString = problem == nil ? inline : verifiesNothingJWKS
        } else if let uri = rule.jwksURI, let fetched = fetchedJWKS[uri], !fetched.isEmpty {
            problem = JSONWebKeySet.envoyProblem(fetched).map {
                "the key set fetched from jwksUri \(uri) \(describe($0))"
            }
            keys.inlineString = problem == nil ? fetched : verifiesNothingJWKS
        } else {
            problem = rule.jwksURI.map { "jwksUri \($0) has not been fetched" } ?? "it has neither jwks nor jwksUri"
            keys.inlineString = verifiesNothingJWKS
        }
        if let problem {
            warnings.append("\(context) (issuer \(rule.issuer)): \(problem); every token of this issuer is rejected")
        }
        provider.localJwks = keys
        provider.forward = rule.forwardOriginalToken
        provider.fromHeaders = rule.fromHeaders.map { header in
            var jwtHeader = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtHeader()
            jwtHeader.name = header.name
            jwtHeader.valuePrefix = header.prefix
            return jwtHeader
        }
        provider.fromParams = rule.fromParams
        provider.fromCookies = rule.fromCookies
        if let header = rule.outputPayloadToHeader, !header.isEmpty { provider.forwardPayloadHeader = header }
        provider.payloadInMetadata = AuthorizationMatchers.jwtPayloadKey
        provider.claimToHeaders = rule.outputClaimToHeaders.map { claim in
            var entry = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtClaimToHeader()
            entry.headerName = claim.header
            entry.claimName = claim.claim
            return entry
        }
        return provider
    }

    /// Why Envoy would refuse a key set, as the end of a sentence naming it.
    static func describe(_ problem: JSONWebKeySet.EnvoyProblem) -> String {
        switch problem {
        case .notJSON, .notAnObject: "is not a JSON object"
        case .noKeysArray, .emptyKeys: "has no keys"
        case .keyNotAnObject(let index), .missingKeyType(let index), .unknownKeyType(let index, _):
            "has a key (keys[\(index)]) without a known kty"
        case .missingMember(let index, let type, let member): "has a \(type) key (keys[\(index)]) without \(member)"
        }
    }
}
