/// Which AuthorizationPolicy rule an RBAC policy name stands for: istiod's `ns[<ns>]-policy[<name>]-rule[<i>]`,
/// possibly behind CUSTOM's `istio-ext-authz-<provider>-` prefix or the bad-provider suffix.
public struct PolicyRuleName: Sendable, Hashable, CustomStringConvertible {
    public var rbacName: String
    public var namespace: String
    public var policy: String
    public var rule: Int
    /// The ext_authz provider, for a CUSTOM rule.
    public var provider: String?

    public init?(_ rbacName: String) {
        guard let ns = rbacName.range(of: "ns["),
            let policyStart = rbacName.range(of: "]-policy[", range: ns.upperBound..<rbacName.endIndex),
            let ruleStart = rbacName.range(of: "]-rule[", range: policyStart.upperBound..<rbacName.endIndex),
            let ruleEnd = rbacName.range(of: "]", range: ruleStart.upperBound..<rbacName.endIndex),
            let rule = Int(rbacName[ruleStart.upperBound..<ruleEnd.lowerBound])
        else { return nil }
        self.rbacName = rbacName
        namespace = String(rbacName[ns.upperBound..<policyStart.lowerBound])
        policy = String(rbacName[policyStart.upperBound..<ruleStart.lowerBound])
        self.rule = rule
        let before = rbacName[..<ns.lowerBound]
        let customPrefix = "istio-ext-authz-"
        provider =
            before.hasPrefix(customPrefix) && before.hasSuffix("-")
            ? String(before.dropFirst(customPrefix.count).dropLast()) : nil
    }

    /// `default/deny-admin rules[1]`.
    public var description: String { "\(namespace)/\(policy) rules[\(rule)]" }
}

/// What the destination proxy would do with a request, and which generated filter decided.
public struct AuthorizationDecision: Sendable, Hashable {
    public enum Verdict: String, Sendable, Hashable {
        /// Passed every authentication and authorization filter.
        case allow = "ALLOW"
        /// Refused by RBAC (HTTP 403, or the TCP connection closed).
        case deny = "DENY"
        /// Refused by jwt_authn (HTTP 401): an invalid token.
        case unauthenticated = "DENY (401)"
        /// Sent to an ext_authz server, which decides.
        case custom = "CUSTOM"
        /// No filter chain of the proxy takes the connection (e.g. plaintext to a STRICT mTLS port).
        case noFilterChain = "DENY (no filter chain)"
    }

    public var verdict: Verdict
    /// The HTTP status a client would see (0 for a closed connection, nil when it is the upstream's or ext_authz's).
    public var status: Int?
    /// The RBAC policy that decided, when one did.
    public var policy: PolicyRuleName?
    /// A sentence on why, naming the filter (`envoy.filters.http.rbac` #2 on chain X) and the rule set.
    public var reason: String
    /// The listener and filter chain that took the request.
    public var listener: String
    public var filterChain: String
    /// Shadow (dry-run) and AUDIT results: what they would have done, never enforced.
    public var notes: [String]

    /// The one-line form: `DENY  default/deny-admin rules[0]  (…)`.
    public var summary: String {
        let by = policy.map { " by \($0)" } ?? ""
        return "\(verdict.rawValue)\(by): \(reason)"
    }
}
