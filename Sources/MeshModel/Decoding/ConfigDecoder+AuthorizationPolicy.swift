extension ConfigDecoder {
    /// `spec` of an AuthorizationPolicy. Structural rules that the typed value cannot express (a null or empty
    /// `from`, `to` or `source`; DENY or CUSTOM without `rules`) are checked here with istiod's reasons; value rules
    /// are `ResourceValidator.validateAuthorizationPolicy`.
    static func decodeAuthorizationPolicy(
        meta: ObjectMeta, spec: YAMLMapping?, root: YAMLMapping
    ) -> AuthorizationPolicy {
        var policy = AuthorizationPolicy(meta: meta, dryRun: dryRun(meta, root: root))
        guard let spec else { return policy }
        spec.warnUnsupported(handled: ["selector", "targetRef", "targetRefs", "action", "provider", "rules"])
        (policy.selector, policy.targetRefs) = decodePolicyScope(spec)
        if let field = spec["action"], let text = field.string() {
            if let action = AuthorizationAction(rawValue: text) {
                policy.action = action
            } else {
                field.context.error(
                    field.path, "unknown action \"\(text)\"; expected ALLOW, DENY, AUDIT or CUSTOM", node: field.node)
            }
        }
        if let provider = spec.mapping("provider") {
            provider.warnUnsupported(handled: ["name"])
            policy.provider = provider.string("name") ?? ""
        }
        if let field = spec["rules"] {
            policy.rulesPresent = true
            for item in field.sequence() ?? [] {
                if item.isNull {
                    item.context.error(item.path, "`rule` must not be nil", node: item.node)
                    continue
                }
                guard let mapping = item.mapping() else { continue }
                let rule = decodeAuthorizationRule(mapping)
                if policy.action == .deny && denyRuleUsesOnlyHTTPAttributes(rule) {
                    mapping.context.warning(
                        mapping.path,
                        "configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the "
                            + "use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port"
                    )
                }
                policy.rules.append(rule)
            }
        }
        return policy
    }

    /// istiod's warning rule: a DENY rule whose `from` has no TCP attribute and no `to`, or whose `to` names no
    /// port, is reduced on TCP filter chains to "deny everything".
    static func denyRuleUsesOnlyHTTPAttributes(_ rule: AuthorizationRule) -> Bool {
        let tcpFrom = rule.from.contains { source in
            !(source.principals + source.notPrincipals + source.ipBlocks + source.notIpBlocks + source.namespaces
                + source.notNamespaces + source.remoteIpBlocks + source.notRemoteIpBlocks + source.serviceAccounts
                + source.notServiceAccounts).isEmpty
        }
        let tcpTo = rule.to.contains { !($0.ports + $0.notPorts).isEmpty }
        return (!rule.from.isEmpty && rule.to.isEmpty && !tcpFrom) || (!rule.to.isEmpty && !tcpTo)
    }

    static func decodeAuthorizationRule(_ rule: YAMLMapping) -> AuthorizationRule {
        rule.warnUnsupported(handled: ["from", "to", "when"])
        var result = AuthorizationRule()
        if rule.contains("from") {
            let items = rule["from"]?.sequence() ?? []
            if items.isEmpty { rule.context.error(rule.path.appendingField("from"), "`from` must not be empty") }
            for item in items {
                guard let source = requiredChild(item, key: "source", what: "from") else { continue }
                result.from.append(decodeAuthorizationSource(source))
            }
        }
        if rule.contains("to") {
            let items = rule["to"]?.sequence() ?? []
            if items.isEmpty { rule.context.error(rule.path.appendingField("to"), "`to` must not be empty") }
            for item in items {
                guard let operation = requiredChild(item, key: "operation", what: "to") else { continue }
                result.to.append(decodeAuthorizationOperation(operation))
            }
        }
        for item in rule.sequence("when") {
            if item.isNull {
                item.context.error(item.path, "when field cannot be nil", node: item.node)
                continue
            }
            guard let condition = item.mapping() else { continue }
            condition.warnUnsupported(handled: ["key", "values", "notValues"])
            result.when.append(
                AuthorizationCondition(
                    key: condition.string("key") ?? "", values: strictStringList(condition, "values"),
                    notValues: strictStringList(condition, "notValues")))
        }
        return result
    }

    /// `item.<key>` of a `from`/`to` entry, with istiod's reasons when the entry or the child is null.
    private static func requiredChild(_ item: YAMLField, key: String, what: String) -> YAMLMapping? {
        if item.isNull {
            item.context.error(item.path, "`\(what)` must not be nil", node: item.node)
            return nil
        }
        guard let mapping = item.mapping() else { return nil }
        mapping.warnUnsupported(handled: [key])
        guard let child = mapping[key] else {
            mapping.context.error(mapping.path.appendingField(key), "`\(what).\(key)` must not be nil")
            return nil
        }
        return child.mapping()
    }

    static func decodeAuthorizationSource(_ source: YAMLMapping) -> AuthorizationSource {
        source.warnUnsupported(handled: [
            "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces", "notNamespaces",
            "serviceAccounts", "notServiceAccounts", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks",
            "trustDomains", "notTrustDomains",
        ])
        var result = AuthorizationSource()
        result.principals = strictStringList(source, "principals")
        result.notPrincipals = strictStringList(source, "notPrincipals")
        result.requestPrincipals = strictStringList(source, "requestPrincipals")
        result.notRequestPrincipals = strictStringList(source, "notRequestPrincipals")
        result.namespaces = strictStringList(source, "namespaces")
        result.notNamespaces = strictStringList(source, "notNamespaces")
        result.serviceAccounts = strictStringList(source, "serviceAccounts")
        result.notServiceAccounts = strictStringList(source, "notServiceAccounts")
        result.ipBlocks = strictStringList(source, "ipBlocks")
        result.notIpBlocks = strictStringList(source, "notIpBlocks")
        result.remoteIpBlocks = strictStringList(source, "remoteIpBlocks")
        result.notRemoteIpBlocks = strictStringList(source, "notRemoteIpBlocks")
        result.trustDomains = strictStringList(source, "trustDomains")
        result.notTrustDomains = strictStringList(source, "notTrustDomains")
        return result
    }

    static func decodeAuthorizationOperation(_ operation: YAMLMapping) -> AuthorizationOperation {
        operation.warnUnsupported(handled: [
            "hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths",
        ])
        var result = AuthorizationOperation()
        result.hosts = strictStringList(operation, "hosts")
        result.notHosts = strictStringList(operation, "notHosts")
        result.ports = strictStringList(operation, "ports")
        result.notPorts = strictStringList(operation, "notPorts")
        result.methods = strictStringList(operation, "methods")
        result.notMethods = strictStringList(operation, "notMethods")
        result.paths = strictStringList(operation, "paths")
        result.notPaths = strictStringList(operation, "notPaths")
        return result
    }
}
