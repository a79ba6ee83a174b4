extension ResourceValidator {
    /// istiod's ValidateAuthorizationPolicy on the typed policy: scope, action and provider rules, and the value
    /// rules of every source, operation and condition. Null or empty `from`/`to` entries are refused by the decoder.
    static func validateAuthorizationPolicy(_ policy: AuthorizationPolicy, into issues: inout IssueList) {
        validatePolicySelector(policy.selector, into: &issues)
        let triggerHint = "add an empty rule `{}` if you want it be triggered for every request"
        switch policy.action {
        case .custom:
            if !policy.rulesPresent {
                issues.add(
                    "spec.rules",
                    "CUSTOM action without `rules` is meaningless as it will never be triggered, \(triggerHint)")
            } else if (policy.provider ?? "").isEmpty {
                issues.add("spec.provider.name", "`provider.name` must not be empty")
            }
            validateCustomRules(policy.rules, into: &issues)
        case .deny where !policy.rulesPresent:
            issues.add(
                "spec.rules", "DENY action without `rules` is meaningless as it will never be triggered, \(triggerHint)"
            )
        default:
            break
        }
        if policy.provider != nil && policy.action != .custom {
            issues.add(
                "spec.provider", "`provider` must not be with non CUSTOM action, found \(policy.action.rawValue)")
        }
        for (index, rule) in policy.rules.enumerated() {
            let path = "spec.rules[\(index)]"
            for (sourceIndex, source) in rule.from.enumerated() {
                validateSource(source, at: "\(path).from[\(sourceIndex)].source", rule: index, into: &issues)
            }
            for (operationIndex, operation) in rule.to.enumerated() {
                validateOperation(operation, at: "\(path).to[\(operationIndex)].operation", rule: index, into: &issues)
            }
            for (conditionIndex, condition) in rule.when.enumerated() {
                validateCondition(condition, at: "\(path).when[\(conditionIndex)]", into: &issues)
            }
        }
    }

    /// CUSTOM delegates to an external authorizer that sees no peer identity or JWT, so istiod refuses rules on them.
    private static func validateCustomRules(_ rules: [AuthorizationRule], into issues: inout IssueList) {
        for (index, rule) in rules.enumerated() {
            for (sourceIndex, source) in rule.from.enumerated() {
                let path = "spec.rules[\(index)].from[\(sourceIndex)].source"
                let fields: [(String, String, [String])] = [
                    ("namespaces", "From.Namespaces", source.namespaces),
                    ("notNamespaces", "From.NotNamespaces", source.notNamespaces),
                    ("serviceAccounts", "From.ServiceAccounts", source.serviceAccounts),
                    ("notServiceAccounts", "From.NotServiceAccounts", source.notServiceAccounts),
                    ("principals", "From.Principals", source.principals),
                    ("notPrincipals", "From.NotPrincipals", source.notPrincipals),
                    ("requestPrincipals", "From.RequestPrincipals", source.requestPrincipals),
                    ("notRequestPrincipals", "From.NotRequestPrincipals", source.notRequestPrincipals),
                ]
                for (field, name, values) in fields where !values.isEmpty {
                    issues.add("\(path).\(field)", "\(name) is currently not supported with CUSTOM action")
                }
            }
            for (conditionIndex, condition) in rule.when.enumerated() {
                let key = condition.key
                if ["source.namespace", "source.serviceAccount", "source.principal"].contains(key)
                    || key.hasPrefix("request.auth.")
                {
                    issues.add(
                        "spec.rules[\(index)].when[\(conditionIndex)].key",
                        "\(key) is currently not supported with CUSTOM action")
                }
            }
        }
    }

    private static func validateSource(
        _ source: AuthorizationSource, at path: String, rule: Int, into issues: inout IssueList
    ) {
        let identityCount =
            source.principals.count + source.notPrincipals.count + source.namespaces.count + source.notNamespaces.count
        if identityCount > 0 && source.serviceAccounts.count + source.notServiceAccounts.count > 0 {
            issues.add(
                path.appendingField(source.serviceAccounts.isEmpty ? "notServiceAccounts" : "serviceAccounts"),
                "cannot set serviceAccounts with namespaces or principals, found at rule \(rule)")
        }
        let lists: [(String, [String])] = [
            ("principals", source.principals), ("requestPrincipals", source.requestPrincipals),
            ("namespaces", source.namespaces), ("ipBlocks", source.ipBlocks), ("remoteIpBlocks", source.remoteIpBlocks),
            ("notPrincipals", source.notPrincipals), ("notRequestPrincipals", source.notRequestPrincipals),
            ("notNamespaces", source.notNamespaces), ("notIpBlocks", source.notIpBlocks),
            ("notRemoteIpBlocks", source.notRemoteIpBlocks), ("trustDomains", source.trustDomains),
            ("notTrustDomains", source.notTrustDomains), ("serviceAccounts", source.serviceAccounts),
            ("notServiceAccounts", source.notServiceAccounts),
        ]
        if lists.allSatisfy({ $0.1.isEmpty }) {
            issues.add(path, "`from.source` must not be empty, found at rule \(rule)")
        }
        for (field, values) in lists {
            let name = field.prefix(1).uppercased() + field.dropFirst()
            if field.hasSuffix("erviceAccounts") {
                if let problem = SecurityAttributes.serviceAccountProblem(values, field: name) {
                    issues.add(path.appendingField(field), problem)
                }
                continue
            }
            if let index = values.firstIndex(of: "") {
                issues.add("\(path.appendingField(field))[\(index)]", "empty value not allowed, found in \(name)")
            } else if field.hasSuffix("pBlocks") || field.hasSuffix("IpBlocks"),
                let problem = SecurityAttributes.ipProblem(values)
            {
                issues.add(path.appendingField(field), problem)
            }
        }
    }

    private static func validateOperation(
        _ operation: AuthorizationOperation, at path: String, rule: Int, into issues: inout IssueList
    ) {
        let lists: [(String, [String])] = [
            ("ports", operation.ports), ("methods", operation.methods), ("paths", operation.paths),
            ("hosts", operation.hosts), ("notPorts", operation.notPorts), ("notMethods", operation.notMethods),
            ("notPaths", operation.notPaths), ("notHosts", operation.notHosts),
        ]
        if lists.allSatisfy({ $0.1.isEmpty }) {
            issues.add(path, "`to.operation` must not be empty, found at rule \(rule)")
        }
        for (field, values) in lists {
            let name = field.prefix(1).uppercased() + field.dropFirst()
            if let index = values.firstIndex(of: "") {
                issues.add("\(path.appendingField(field))[\(index)]", "empty value not allowed, found in \(name)")
                continue
            }
            if field == "ports" || field == "notPorts", let problem = SecurityAttributes.portProblem(values) {
                issues.add(path.appendingField(field), problem)
            }
            if field == "paths" || field == "notPaths" {
                for (index, value) in values.enumerated() {
                    if let problem = SecurityAttributes.pathTemplateProblem(value, field: name) {
                        issues.add("\(path.appendingField(field))[\(index)]", problem)
                    }
                }
            }
        }
    }

    private static func validateCondition(
        _ condition: AuthorizationCondition, at path: String, into issues: inout IssueList
    ) {
        let key = condition.key
        guard !key.isEmpty else {
            issues.add("\(path).key", "`key` must not be empty")
            return
        }
        if condition.values.isEmpty && condition.notValues.isEmpty {
            issues.add(path, "at least one of `values` or `notValues` must be set for key \(key)")
            return
        }
        let kind: SecurityAttributes.Key
        switch SecurityAttributes.key(key) {
        case .success(let found): kind = found
        case .failure(let problem):
            issues.add("\(path).key", problem.reason)
            return
        }
        for (field, label, values) in [
            ("values", "value", condition.values), ("notValues", "notValue", condition.notValues),
        ] {
            if let problem = SecurityAttributes.valueProblem(kind, keyName: key, values: values) {
                issues.add("\(path).\(field)", "invalid `\(label)` for `key` \(key): \(problem)")
            }
        }
    }
}
