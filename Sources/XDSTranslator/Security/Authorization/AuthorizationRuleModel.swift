import EnvoyAPI
import MeshModel

/// One rule of an AuthorizationPolicy as istiod's `authz/model` sees it: the `when` conditions folded into each `from`
/// (principals) and each `to` (permissions), so that the rule becomes one Envoy RBAC policy whose permissions are the
/// `to` entries (OR) and whose principals are the `from` entries (OR), each an AND of its conditions.
struct AuthorizationRuleModel: Sendable {
    private(set) var permissions: [[RuleCondition]] = []
    private(set) var principals: [[RuleCondition]] = []

    init(_ rule: AuthorizationRule, trustDomains: TrustDomainBundle) {
        var basePermission: [RuleCondition] = []
        var basePrincipal: [RuleCondition] = []
        for condition in rule.when {
            var values = condition.values
            var notValues = condition.notValues
            if condition.key == "source.principal" {
                values = trustDomains.expand(values)
                notValues = trustDomains.expand(notValues)
            }
            let entry = RuleCondition(key: condition.key, values: values, notValues: notValues)
            // An unknown key goes with the principals, where its translation fails (see `Generate`).
            if RuleCondition.side(of: condition.key) == .permission {
                basePermission.append(entry)
            } else {
                basePrincipal.append(entry)
            }
        }
        func add(_ list: inout [RuleCondition], _ key: String, _ values: [String], _ notValues: [String]) {
            guard !values.isEmpty || !notValues.isEmpty else { return }
            list.append(RuleCondition(key: key, values: values, notValues: notValues))
        }
        for source in rule.from {
            var conditions: [RuleCondition] = []
            add(
                &conditions, "from.principals", trustDomains.expand(source.principals),
                trustDomains.expand(source.notPrincipals))
            add(&conditions, "from.requestPrincipals", source.requestPrincipals, source.notRequestPrincipals)
            add(&conditions, "from.namespaces", source.namespaces, source.notNamespaces)
            add(&conditions, "from.serviceAccounts", source.serviceAccounts, source.notServiceAccounts)
            add(&conditions, "from.remoteIpBlocks", source.remoteIpBlocks, source.notRemoteIpBlocks)
            add(&conditions, "from.ipBlocks", source.ipBlocks, source.notIpBlocks)
            add(&conditions, "from.trustDomains", source.trustDomains, source.notTrustDomains)
            principals.append(conditions + basePrincipal)
        }
        if rule.from.isEmpty { principals.append(basePrincipal) }
        for operation in rule.to {
            var conditions: [RuleCondition] = []
            add(&conditions, "to.hosts", operation.hosts, operation.notHosts)
            add(&conditions, "to.methods", operation.methods, operation.notMethods)
            add(&conditions, "to.paths", operation.paths, operation.notPaths)
            add(&conditions, "to.ports", operation.ports, operation.notPorts)
            permissions.append(conditions + basePermission)
        }
        if rule.to.isEmpty { permissions.append(basePermission) }
    }

    /// The Envoy policy for this rule. For ALLOW a failed value fails the rule (it is left out: allows less); for
    /// DENY and LOG (AUDIT) the value is dropped and the rest kept (denies more). Dropped values are reported.
    func generate(
        action: RBACRules.Action, translator: ConditionTranslator, dropped: inout [ConditionFailure]
    ) -> Result<RBACPolicy, ConditionFailure> {
        var policy = RBACPolicy()
        for conditions in permissions {
            var all: [RBACPermission] = []
            for condition in conditions {
                switch Self.translate(condition, action: action, dropped: &dropped, translator.permission) {
                case .success(let parts): all += parts.map { part in part.negated ? .not(part.node) : part.node }
                case .failure(let failure): return .failure(failure)
                }
            }
            policy.permissions.append(.and(all.isEmpty ? [.anything] : all))
        }
        for conditions in principals {
            var all: [RBACPrincipal] = []
            for condition in conditions {
                switch Self.translate(condition, action: action, dropped: &dropped, translator.principal) {
                case .success(let parts): all += parts.map { part in part.negated ? .not(part.node) : part.node }
                case .failure(let failure): return .failure(failure)
                }
            }
            policy.principals.append(.and(all.isEmpty ? [.anything] : all))
        }
        return .success(policy)
    }

    /// A condition's values as one OR, and its notValues as one OR to negate (istiod's `rule.permission/principal`).
    private static func translate<Node: RBACCombinable>(
        _ condition: RuleCondition, action: RBACRules.Action, dropped: inout [ConditionFailure],
        _ make: (String, String) -> Result<Node, ConditionFailure>
    ) -> Result<[(node: Node, negated: Bool)], ConditionFailure> {
        var parts: [(node: Node, negated: Bool)] = []
        for (values, negated) in [(condition.values, false), (condition.notValues, true)] {
            var any: [Node] = []
            for value in values {
                switch make(condition.key, value) {
                case .success(let node):
                    any.append(node)
                case .failure(let failure):
                    if action == .allow { return .failure(failure) }
                    dropped.append(failure)
                }
            }
            if !any.isEmpty { parts.append((Node.or(any), negated)) }
        }
        return .success(parts)
    }
}

/// What the rule model needs of permissions and principals alike.
protocol RBACCombinable: Sendable {
    static func or(_ items: [Self]) -> Self
}

extension RBACPermission: RBACCombinable {}
extension RBACPrincipal: RBACCombinable {}

/// The mesh's trust domain and its aliases (mesh config `trustDomain`, `trustDomainAliases`): a principal naming any
/// of them, or `cluster.local` (which stands for the local trust domain), matches peers of every one of them.
struct TrustDomainBundle: Sendable, Hashable {
    let trustDomains: [String]

    init(_ mesh: MeshConfig) {
        var seen = Set<String>()
        trustDomains = ([mesh.trustDomain] + mesh.trustDomainAliases).filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// istiod's `ReplaceTrustDomainAliases`: `<td>/ns/...` becomes one principal per trust domain of the bundle when
    /// `<td>` is one of them (or `cluster.local`); wildcard-led principals and other trust domains stay as written.
    func expand(_ principals: [String]) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        func append(_ value: String) { if seen.insert(value).inserted { out.append(value) } }
        for principal in principals {
            guard !principal.hasPrefix("*"), let marker = principal.firstRange(of: "/ns/") else {
                append(principal)
                continue
            }
            let domain = String(principal[..<marker.lowerBound])
            let rest = principal[marker.lowerBound...]
            guard domain == "cluster.local" || trustDomains.contains(domain) else {
                append(principal)
                continue
            }
            for trustDomain in trustDomains { append(trustDomain + rest) }
        }
        return out
    }
}
