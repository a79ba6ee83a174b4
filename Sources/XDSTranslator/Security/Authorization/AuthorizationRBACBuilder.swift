import EnvoyAPI
import MeshModel

/// The enforced and shadow (dry-run) RBAC rule sets of one action, as istiod's `Builder.build` makes them.
struct BuiltRBAC: Sendable {
    var rules: RBACRules?
    var shadowRules: RBACRules?
}

/// Builds RBAC rule sets from AuthorizationPolicies. Pure; collects what it had to drop as warnings.
struct AuthorizationRBACBuilder: Sendable {
    let trustDomains: TrustDomainBundle
    let forTCP: Bool
    /// See `ConditionTranslator.spaceDelimitedClaims`.
    var spaceDelimitedClaims: Set<String> = JWTAuthenticationFilter.defaultSpaceDelimitedClaims

    /// istiod's RBAC policy name: `ns[<namespace>]-policy[<name>]-rule[<index>]`, after an optional prefix
    /// (CUSTOM uses `istio-ext-authz-<provider>-`, which ext_authz then looks for).
    static func policyName(_ policy: AuthorizationPolicy, rule index: Int, prefix: String = "") -> String {
        "\(prefix)ns[\(policy.meta.namespace)]-policy[\(policy.meta.name)]-rule[\(index)]"
    }

    /// The rule sets of `policies` under `action`; nil when there are none. Dry-run policies go to the shadow set.
    func build(
        _ policies: [AuthorizationPolicy], action: RBACRules.Action,
        namePrefix: (AuthorizationPolicy) -> String = { _ in "" },
        warnings: inout [String]
    ) -> BuiltRBAC? {
        guard !policies.isEmpty else { return nil }
        var enforced = RBACRules()
        enforced.action = action
        var shadow = enforced
        var hasEnforced = false
        var hasShadow = false
        let chain = forTCP ? "TCP" : "HTTP"
        for policy in policies {
            var target = policy.dryRun ? shadow : enforced
            if policy.dryRun { hasShadow = true } else { hasEnforced = true }
            let prefix = namePrefix(policy)
            let translator = ConditionTranslator(
                policyNamespace: policy.meta.namespace, forTCP: forTCP, spaceDelimitedClaims: spaceDelimitedClaims)
            for (index, rule) in policy.rules.enumerated() {
                let name = Self.policyName(policy, rule: index, prefix: prefix)
                let model = AuthorizationRuleModel(rule, trustDomains: trustDomains)
                var dropped: [ConditionFailure] = []
                switch model.generate(action: action, translator: translator, dropped: &dropped) {
                case .success(let generated):
                    target.policies[name] = generated
                case .failure(let failure):
                    // Only ALLOW fails a whole rule; leaving it out allows less. HTTP-only rules on TCP chains are
                    // istiod's expected case and not worth a warning.
                    if !(forTCP && failure.reason.hasPrefix("HTTP only")) {
                        warnings.append(
                            "AuthorizationPolicy \(policy.meta.namespace)/\(policy.meta.name) rules[\(index)]: \(failure.description); the rule allows nothing on \(chain) chains"
                        )
                    }
                }
                for failure in dropped where !(forTCP && failure.reason.hasPrefix("HTTP only")) {
                    warnings.append(
                        "AuthorizationPolicy \(policy.meta.namespace)/\(policy.meta.name) rules[\(index)]: \(failure.description); the condition was dropped, so the rule matches more"
                    )
                }
            }
            if policy.rules.isEmpty {
                target.policies[Self.policyName(policy, rule: 0, prefix: prefix)] = .matchNever
            }
            if policy.dryRun { shadow = target } else { enforced = target }
        }
        return BuiltRBAC(rules: hasEnforced ? enforced : nil, shadowRules: hasShadow ? shadow : nil)
    }

    /// istiod's stat prefix for shadow rules, which also prefixes the dynamic metadata keys they write.
    static func shadowStatPrefix(_ action: RBACRules.Action) -> String {
        switch action {
        case .allow: "istio_dry_run_allow_"
        case .deny: "istio_dry_run_deny_"
        default: ""
        }
    }
}
