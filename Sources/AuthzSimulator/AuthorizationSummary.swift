public import EnvoyAPI
public import MeshModel
import SwiftProtobuf

/// What the policies applying to one proxy became: every jwt_authn, RBAC and ext_authz filter of its listeners, per
/// listener and filter chain, read from the generated config (`/debug/authorizationz`, the status page).
public struct AuthorizationSummary: Sendable {
    /// One security filter on one filter chain.
    public struct Filter: Sendable, Hashable {
        public var listener: String
        public var filterChain: String
        /// `envoy.filters.http.rbac`, `envoy.filters.network.rbac`, `envoy.filters.http.jwt_authn`, ext_authz.
        public var name: String
        /// Position in the chain's (HTTP or network) filter list.
        public var index: Int
        /// `ALLOW`, `DENY`, `LOG` for RBAC rules (nil for other filters).
        public var action: String?
        /// The RBAC policy names of the enforced rules, in name order.
        public var policies: [String]
        /// The RBAC policy names of the shadow (dry-run, or CUSTOM's selection) rules.
        public var shadowPolicies: [String]
        public var shadowAction: String?
        /// jwt_authn: `provider (issuer): keys` per provider.
        public var providers: [String]
    }

    public var filters: [Filter]

    /// Workload posture from its enforced ALLOW policies: `open` (none apply: all that no DENY refuses is allowed),
    /// `default-deny` (ALLOW policies apply and none has a rule, so nothing is allowed), `allow-some`.
    public enum Posture: String, Sendable, Hashable, Codable {
        case open
        case defaultDeny = "default-deny"
        case allowSome = "allow-some"
    }

    public init(listeners: [Envoy_Config_Listener_V3_Listener]) {
        var filters: [Filter] = []
        for listener in listeners {
            for chain in listener.filterChains + (listener.hasDefaultFilterChain ? [listener.defaultFilterChain] : []) {
                let chainName = chain.name.isEmpty ? "(unnamed chain)" : chain.name
                for (index, filter) in chain.filters.enumerated() {
                    if let row = Self.row(
                        filter.name, filter.typedConfig, listener: listener.name, chain: chainName, index: index)
                    {
                        filters.append(row)
                    }
                    guard filter.name == "envoy.filters.network.http_connection_manager",
                        let manager = try? HTTPConnectionManager(unpackingAny: filter.typedConfig)
                    else { continue }
                    for (httpIndex, http) in manager.httpFilters.enumerated() {
                        if let row = Self.row(
                            http.name, http.typedConfig, listener: listener.name, chain: chainName, index: httpIndex)
                        {
                            filters.append(row)
                        }
                    }
                }
            }
        }
        self.filters = filters
    }

    static func row(
        _ name: String, _ config: Google_Protobuf_Any, listener: String, chain: String, index: Int
    ) -> Filter? {
        var row = Filter(
            listener: listener, filterChain: chain, name: name, index: index, action: nil, policies: [],
            shadowPolicies: [],
            shadowAction: nil, providers: [])
        switch name {
        case "envoy.filters.http.rbac":
            guard let rbac = try? HTTPRBAC(unpackingAny: config) else { return row }
            if rbac.hasRules {
                (row.action, row.policies) = (label(rbac.rules.action), rbac.rules.policies.keys.sorted())
            }
            if rbac.hasShadowRules {
                (row.shadowAction, row.shadowPolicies) = (
                    label(rbac.shadowRules.action), rbac.shadowRules.policies.keys.sorted()
                )
            }
        case "envoy.filters.network.rbac":
            guard let rbac = try? NetworkRBAC(unpackingAny: config) else { return row }
            if rbac.hasRules {
                (row.action, row.policies) = (label(rbac.rules.action), rbac.rules.policies.keys.sorted())
            }
            if rbac.hasShadowRules {
                (row.shadowAction, row.shadowPolicies) = (
                    label(rbac.shadowRules.action), rbac.shadowRules.policies.keys.sorted()
                )
            }
        case "envoy.filters.http.jwt_authn":
            guard let jwt = try? JWTAuthentication(unpackingAny: config) else { return row }
            row.providers = jwt.providers.keys.sorted().compactMap { key in
                guard let provider = jwt.providers[key] else { return nil }
                let keys = provider.localJwks.inlineString
                let state =
                    keys.contains("\"meshd-no-keys\"")
                    ? "no key set (rejects every token)" : "\(keys.utf8.count) bytes of keys"
                return "\(key) (issuer \(provider.issuer)): \(state)"
            }
        case "envoy.filters.http.ext_authz", "envoy.filters.network.ext_authz":
            break
        default:
            return nil
        }
        return row
    }

    static func label(_ action: Envoy_Config_Rbac_V3_RBAC.Action) -> String {
        switch action {
        case .allow: "ALLOW"
        case .deny: "DENY"
        case .log: "LOG"
        case .UNRECOGNIZED(let value): "UNRECOGNIZED(\(value))"
        }
    }

    /// The posture of a workload with `labels` in `namespace`, from the policies that apply to it.
    public static func posture(_ snapshot: MeshSnapshot, namespace: String, labels: [String: String]) -> Posture {
        let allow = snapshot.authorizationPolicies(namespace: namespace, labels: labels).filter {
            $0.action == .allow && !$0.dryRun
        }
        if allow.isEmpty { return .open }
        return allow.allSatisfy(\.rules.isEmpty) ? .defaultDeny : .allowSome
    }
}
