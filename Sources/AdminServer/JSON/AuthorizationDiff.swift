import AuthzSimulator
import EnvoyAPI

/// Authorization changes between two listener sets of one proxy, in the operator's terms: which RBAC policies (one
/// per AuthorizationPolicy rule, named `ns[..]-policy[..]-rule[..]`) and which JWT providers appear or go, per
/// listener and action, merged over filter chains.
enum AuthorizationDiff {
    static func lines(old: [Envoy_Config_Listener_V3_Listener], new: [Envoy_Config_Listener_V3_Listener]) -> [String] {
        let before = entries(AuthorizationSummary(listeners: old))
        let after = entries(AuthorizationSummary(listeners: new))
        return before.subtracting(after).sorted().map { "- " + $0 }
            + after.subtracting(before).sorted().map { "+ " + $0 }
    }

    static func entries(_ summary: AuthorizationSummary) -> Set<String> {
        var entries: Set<String> = []
        for filter in summary.filters {
            let kind = filter.name.contains("network") ? " (TCP)" : ""
            for policy in filter.policies {
                entries.insert("\(filter.listener): \(filter.action ?? "?")\(kind) \(policy)")
            }
            for policy in filter.shadowPolicies {
                entries.insert("\(filter.listener): shadow \(filter.shadowAction ?? "?")\(kind) \(policy)")
            }
            for provider in filter.providers { entries.insert("\(filter.listener): jwt_authn \(provider)") }
            if filter.name.hasSuffix("ext_authz") { entries.insert("\(filter.listener): \(filter.name)\(kind)") }
        }
        return entries
    }
}
