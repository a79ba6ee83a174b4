import EnvoyAPI
import Foundation

typealias JWTAuthentication = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtAuthentication
typealias JWTProvider = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtProvider
typealias JWTRequirement = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirement

/// Envoy's jwt_authn filter over one request: the requirement of the first rule whose match fits, evaluated over the
/// tokens found in each provider's locations. A token that fails verification is refused with 401; a request with no
/// token passes where the requirement allows it missing. A verified payload goes to dynamic metadata under the
/// provider's `payload_in_metadata`.
struct JWTAuthnEvaluator {
    let config: JWTAuthentication
    let now: Date

    enum Outcome: Equatable {
        case passed(provider: String?, payload: MetadataValue?, payloadKey: String)
        case rejected(reason: String)
    }

    /// One provider's result.
    enum ProviderResult: Equatable {
        case missing
        case verified(MetadataValue)
        case failed(String)
    }

    func evaluate(_ request: SimulatedRequest) -> Outcome {
        guard let rule = config.rules.first(where: { routeMatches($0.match, request) }) else {
            return .passed(provider: nil, payload: nil, payloadKey: "")
        }
        let requirement: JWTRequirement
        switch rule.requirementType {
        case .requires(let inline): requirement = inline
        case .requirementName(let name):
            guard let named = config.requirementMap[name] else {
                return .rejected(reason: "unknown requirement \(name)")
            }
            requirement = named
        case nil: return .passed(provider: nil, payload: nil, payloadKey: "")
        }
        var verified: (String, MetadataValue)?
        switch evaluate(requirement, request, verified: &verified) {
        case .some(let failure): return .rejected(reason: failure)
        case nil:
            guard let (name, payload) = verified else { return .passed(provider: nil, payload: nil, payloadKey: "") }
            return .passed(
                provider: name, payload: payload, payloadKey: config.providers[name]?.payloadInMetadata ?? "")
        }
    }

    /// nil when the requirement is met; else the failure.
    func evaluate(
        _ requirement: JWTRequirement, _ request: SimulatedRequest, verified: inout (String, MetadataValue)?
    )
        -> String?
    {
        var named: String?
        if case .providerName(let name)? = requirement.requiresType { named = name }
        if case .providerAndAudiences(let both)? = requirement.requiresType { named = both.providerName }
        if let name = named {
            switch result(name, request) {
            case .missing: return "Jwt is missing"
            case .failed(let reason): return reason
            case .verified(let payload):
                if verified == nil { verified = (name, payload) }
                return nil
            }
        }
        switch requirement.requiresType {
        case .providerName, .providerAndAudiences:
            return nil
        case .requiresAny(let list):
            var failures: [String] = []
            for child in list.requirements {
                guard let failure = evaluate(child, request, verified: &verified) else { return nil }
                failures.append(failure)
            }
            // Envoy reports a real verification failure over "missing".
            return failures.first { $0 != "Jwt is missing" } ?? failures.first ?? "Jwt is missing"
        case .requiresAll(let list):
            for child in list.requirements {
                if let failure = evaluate(child, request, verified: &verified) { return failure }
            }
            return nil
        case .allowMissing:
            // Claims given directly stand for a token, so they are never "missing".
            let anyToken = request.claims != nil || config.providers.keys.contains { token(for: $0, request) != nil }
            return anyToken && verified == nil ? "Jwt verification fails" : nil
        case .allowMissingOrFailed:
            return nil
        case nil:
            return nil
        }
    }

    func result(_ name: String, _ request: SimulatedRequest) -> ProviderResult {
        guard let provider = config.providers[name] else { return .failed("unknown provider \(name)") }
        let keys = provider.localJwks.inlineString
        if let claims = request.claims, request.token == nil {
            // Claims given directly stand for a token signed by one of the provider's keys.
            guard claims.value(at: ["iss"])?.string == provider.issuer else { return .missing }
            if keys.contains("\"meshd-no-keys\"") {
                return .failed("Jwks has no key set (jwksUri not fetched): Jwt verification fails")
            }
            if let failure = JWTVerifier.checkClaims(
                claims, issuer: provider.issuer, audiences: provider.audiences, now: now)
            {
                return .failed(failure)
            }
            return .verified(claims)
        }
        guard let token = token(for: name, request) else { return .missing }
        guard let decoded = JWTVerifier.decode(token) else {
            return .failed("Jwt is not in the form of Header.Payload.Signature")
        }
        if let failure = JWTVerifier.checkClaims(
            decoded.payload, issuer: provider.issuer, audiences: provider.audiences, now: now)
        {
            return .failed(failure)
        }
        if let failure = JWTVerifier.verifySignature(decoded, jwks: keys) { return .failed(failure) }
        return .verified(decoded.payload)
    }

    /// The token in provider `name`'s locations: its headers (with prefix), params and cookies; with none
    /// configured, `Authorization: Bearer` and the `access_token` parameter.
    func token(for name: String, _ request: SimulatedRequest) -> String? {
        guard let provider = config.providers[name] else { return nil }
        let defaults = provider.fromHeaders.isEmpty && provider.fromParams.isEmpty && provider.fromCookies.isEmpty
        let headers =
            defaults
            ? [("authorization", "Bearer ")] : provider.fromHeaders.map { ($0.name.lowercased(), $0.valuePrefix) }
        for (header, prefix) in headers {
            guard let value = request.header(header) else { continue }
            if prefix.isEmpty { return value }
            if value.lowercased().hasPrefix(prefix.lowercased()) { return String(value.dropFirst(prefix.count)) }
        }
        for param in defaults ? ["access_token"] : provider.fromParams {
            if let value = request.queryParameter(param) { return value }
        }
        if let cookies = request.header("cookie") {
            for pair in cookies.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, provider.fromCookies.contains(String(parts[0])) { return String(parts[1]) }
            }
        }
        return nil
    }

    func routeMatches(_ match: Envoy_Config_Route_V3_RouteMatch, _ request: SimulatedRequest) -> Bool {
        switch match.pathSpecifier {
        case .prefix(let prefix): return request.pathOnly.hasPrefix(prefix)
        case .path(let path): return request.pathOnly == path
        default: return true
        }
    }
}
