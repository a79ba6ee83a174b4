import EnvoyAPI
import Foundation
import SwiftProtobuf

typealias HTTPConnectionManager = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
typealias HTTPRBAC = Envoy_Extensions_Filters_Http_Rbac_V3_RBAC
typealias NetworkRBAC = Envoy_Extensions_Filters_Network_Rbac_V3_RBAC
typealias HTTPExtAuthz = Envoy_Extensions_Filters_Http_ExtAuthz_V3_ExtAuthz
typealias NetworkExtAuthz = Envoy_Extensions_Filters_Network_ExtAuthz_V3_ExtAuthz

/// Runs one request through the filters of one filter chain, in order, as Envoy would: jwt_authn, RBAC (enforced and
/// shadow rules, writing their dynamic metadata), ext_authz (when its `filter_enabled_metadata` matches); network
/// RBAC and ext_authz on TCP chains. Stops at the first filter that refuses or hands the decision to ext_authz.
struct ChainEvaluator {
    let listener: String
    let chain: Envoy_Config_Listener_V3_FilterChain
    let now: Date

    func evaluate(_ request: SimulatedRequest) -> AuthorizationDecision {
        var walk = Walk(
            listener: listener, chainName: chain.name.isEmpty ? "(unnamed chain)" : chain.name, now: now,
            request: request)
        return walk.run(chain.filters)
    }
}

/// The state of one walk down a chain: dynamic metadata so far, notes, and the RBAC filters passed.
private struct Walk {
    let listener: String
    let chainName: String
    let now: Date
    let request: SimulatedRequest
    var metadata: [String: MetadataValue] = [:]
    var notes: [String] = []
    /// Enforcing RBAC filters passed, with the ALLOW policy that let the request through.
    var passed: [(action: Envoy_Config_Rbac_V3_RBAC.Action, policy: String?)] = []

    init(listener: String, chainName: String, now: Date, request: SimulatedRequest) {
        self.listener = listener
        self.chainName = chainName
        self.now = now
        self.request = request
    }

    func decision(
        _ verdict: AuthorizationDecision.Verdict, _ status: Int?, _ policy: String?, _ reason: String
    ) -> AuthorizationDecision {
        AuthorizationDecision(
            verdict: verdict, status: status, policy: policy.flatMap(PolicyRuleName.init), reason: reason,
            listener: listener,
            filterChain: chainName, notes: notes)
    }

    mutating func run(_ filters: [Envoy_Config_Listener_V3_Filter]) -> AuthorizationDecision {
        for (index, filter) in filters.enumerated() {
            let at = "\(filter.name) #\(index) on \(chainName)"
            switch filter.name {
            case "envoy.filters.network.rbac":
                guard let config = try? NetworkRBAC(unpackingAny: filter.typedConfig) else {
                    return decision(.deny, 0, nil, "\(at): config does not decode; meshd cannot say (treated as deny)")
                }
                if let refused = rbac(
                    rules: config.hasRules ? config.rules : nil,
                    shadow: config.hasShadowRules ? config.shadowRules : nil,
                    shadowPrefix: config.shadowRulesStatPrefix, metadataKey: filter.name, isHTTP: false, at: at,
                    status: 0)
                {
                    return refused
                }
            case "envoy.filters.network.ext_authz":
                guard let config = try? NetworkExtAuthz(unpackingAny: filter.typedConfig) else { continue }
                if !config.hasFilterEnabledMetadata || Matchers.matches(config.filterEnabledMetadata, metadata) {
                    return custom(filter: "envoy.filters.network.rbac")
                }
            case "envoy.filters.network.http_connection_manager":
                guard let manager = try? HTTPConnectionManager(unpackingAny: filter.typedConfig) else {
                    return decision(.deny, nil, nil, "\(at): config does not decode; meshd cannot say")
                }
                return http(manager)
            default:
                continue
            }
        }
        return allowed()
    }

    mutating func http(_ manager: HTTPConnectionManager) -> AuthorizationDecision {
        for (index, filter) in manager.httpFilters.enumerated() {
            let at = "\(filter.name) #\(index) on \(chainName)"
            switch filter.name {
            case "envoy.filters.http.jwt_authn":
                guard let config = try? JWTAuthentication(unpackingAny: filter.typedConfig) else {
                    return decision(.unauthenticated, 401, nil, "\(at): config does not decode")
                }
                switch JWTAuthnEvaluator(config: config, now: now).evaluate(request) {
                case .rejected(let reason) where reason == JWTVerifier.audienceNotAllowed:
                    // Envoy's jwt_authn answers a verified token with the wrong audience 403, not 401.
                    return decision(.deny, 403, nil, "\(at) (RequestAuthentication): \(reason)")
                case .rejected(let reason):
                    return decision(.unauthenticated, 401, nil, "\(at) (RequestAuthentication): \(reason)")
                case .passed(let provider, let payload, let key):
                    if let payload, !key.isEmpty {
                        metadata[filter.name] = merged(metadata[filter.name], [key: payload])
                        notes.append("jwt_authn: token verified by provider \(provider ?? "?")")
                    }
                }
            case "envoy.filters.http.rbac":
                guard let config = try? HTTPRBAC(unpackingAny: filter.typedConfig) else {
                    return decision(
                        .deny, 403, nil, "\(at): config does not decode; meshd cannot say (treated as deny)")
                }
                if let refused = rbac(
                    rules: config.hasRules ? config.rules : nil,
                    shadow: config.hasShadowRules ? config.shadowRules : nil,
                    shadowPrefix: config.shadowRulesStatPrefix, metadataKey: filter.name, isHTTP: true, at: at,
                    status: 403)
                {
                    return refused
                }
            case "envoy.filters.http.ext_authz":
                guard let config = try? HTTPExtAuthz(unpackingAny: filter.typedConfig) else { continue }
                if !config.hasFilterEnabledMetadata || Matchers.matches(config.filterEnabledMetadata, metadata) {
                    return custom(filter: "envoy.filters.http.rbac")
                }
            default:
                continue
            }
        }
        return allowed()
    }

    /// One RBAC filter: enforced rules (a refusal is returned), then shadow rules (recorded, never enforced).
    mutating func rbac(
        rules: Envoy_Config_Rbac_V3_RBAC?, shadow: Envoy_Config_Rbac_V3_RBAC?, shadowPrefix: String,
        metadataKey: String,
        isHTTP: Bool, at: String, status: Int
    ) -> AuthorizationDecision? {
        let input = RBACInput(request: request, metadata: metadata, isHTTP: isHTTP)
        if let rules {
            let outcome = RBACEvaluator.evaluate(rules, input)
            switch rules.action {
            case .log:
                if let name = outcome.matchedPolicy {
                    notes.append("AUDIT: logged by \(PolicyRuleName(name)?.description ?? name)")
                }
            case .deny:
                if let name = outcome.matchedPolicy {
                    return decision(.deny, status, name, "\(at): a DENY rule matched")
                }
                passed.append((.deny, nil))
            default:
                guard let name = outcome.matchedPolicy else {
                    let names = rules.policies.keys.sorted().map { PolicyRuleName($0)?.description ?? $0 }
                    return decision(
                        .deny, status, nil,
                        "\(at): no ALLOW rule matched (ALLOW rules: \(names.joined(separator: ", ")))")
                }
                passed.append((.allow, name))
            }
        }
        if let shadow {
            let outcome = RBACEvaluator.evaluate(shadow, input)
            var written: [String: MetadataValue] = [
                shadowPrefix + "shadow_engine_result": .string(outcome.allowed ? "allowed" : "denied")
            ]
            if let name = outcome.matchedPolicy { written[shadowPrefix + "shadow_effective_policy_id"] = .string(name) }
            metadata[metadataKey] = merged(metadata[metadataKey], written)
            // Only what a dry run would change or who it names: a shadow set that matched nothing and allows is silent.
            if !shadowPrefix.hasPrefix("istio_ext_authz"), outcome.matchedPolicy != nil || !outcome.allowed {
                let would = outcome.allowed ? "allow" : "deny"
                let by = outcome.matchedPolicy.map { " (\(PolicyRuleName($0)?.description ?? $0))" } ?? ""
                notes.append(
                    "dry-run \(shadow.action == .deny ? "DENY" : "ALLOW") rules would \(would)\(by); not enforced")
            }
        }
        return nil
    }

    func custom(filter: String) -> AuthorizationDecision {
        let name = metadata[filter]?.value(at: ["istio_ext_authz_shadow_effective_policy_id"])?.string
        let provider = name.flatMap(PolicyRuleName.init)?.provider ?? "?"
        return decision(.custom, nil, name, "CUSTOM → ext_authz \(provider), decided by the external server")
    }

    func allowed() -> AuthorizationDecision {
        if let allow = passed.last(where: { $0.action == .allow }) {
            return decision(.allow, nil, allow.policy, "an ALLOW rule matched")
        }
        if passed.contains(where: { $0.action == .deny }) {
            return decision(.allow, nil, nil, "no DENY rule matched and no ALLOW policy applies")
        }
        return decision(.allow, nil, nil, "no authorization filter on this chain (open)")
    }

    func merged(_ existing: MetadataValue?, _ added: [String: MetadataValue]) -> MetadataValue {
        guard case .object(var members)? = existing else { return .object(added) }
        for (key, value) in added { members[key] = value }
        return .object(members)
    }
}
