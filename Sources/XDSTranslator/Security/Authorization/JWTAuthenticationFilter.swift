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
        var allowMissing = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirement()
        allowMissing.allowMissing = Google_Protobuf_Empty()
        var anyOf = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirementOrList()
        anyOf.requirements = requirements + [allowMissing]
        var requires = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirement()
        requires.requiresAny = anyOf
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
            problem = jwksProblem(inline).map { "its inline jwks \($0)" }
            keys.inlineString = problem == nil ? inline : verifiesNothingJWKS
        } else if let uri = rule.jwksURI, let fetched = fetchedJWKS[uri], !fetched.isEmpty {
            problem = jwksProblem(fetched).map { "the key set fetched from jwksUri \(uri) \($0)" }
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

    /// Why Envoy would refuse `text` as a JWKS (and so the whole listener), or nil when it looks like one: a JSON
    /// object with a non-empty `keys` array whose keys carry the members their `kty` needs.
    static func jwksProblem(_ text: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return "is not a JSON object"
        }
        guard let keys = object["keys"] as? [Any], !keys.isEmpty else { return "has no keys" }
        let required: [String: [String]] = ["RSA": ["n", "e"], "EC": ["crv", "x", "y"], "oct": ["k"], "OKP": ["crv", "x"]]
        for (index, entry) in keys.enumerated() {
            guard let key = entry as? [String: Any], let type = key["kty"] as? String, let members = required[type] else {
                return "has a key (keys[\(index)]) without a known kty"
            }
            if let missing = members.first(where: { (key[$0] as? String)?.isEmpty ?? true }) {
                return "has a \(type) key (keys[\(index)]) without \(missing)"
            }
        }
        return nil
    }
}
