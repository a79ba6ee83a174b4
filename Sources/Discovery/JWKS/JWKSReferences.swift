public import MeshModel

/// One RequestAuthentication JWT rule that names a `jwksUri` (and has no inline `jwks`): who to name in a warning.
public struct JWKSReference: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String
    public var policy: String
    public var ruleIndex: Int
    public var issuer: String
    public var timeoutSeconds: Double?

    public var description: String {
        "RequestAuthentication \(namespace)/\(policy) jwtRules[\(ruleIndex)] (issuer \(issuer))"
    }
}

extension MeshSnapshot {
    /// Every `jwksUri` meshd must fetch, with the rules that name it, in namespace, policy and rule order. Rules with
    /// inline `jwks` are left out: their keys win, as in the translator.
    public var jwksReferences: [String: [JWKSReference]] {
        var references: [String: [JWKSReference]] = [:]
        for namespace in requestAuthentications.keys.sorted() {
            for policy in requestAuthentications[namespace] ?? [] {
                for (index, rule) in policy.jwtRules.enumerated() {
                    guard rule.jwks?.isEmpty ?? true, let uri = rule.jwksURI, !uri.isEmpty else { continue }
                    references[uri, default: []].append(
                        JWKSReference(
                            namespace: namespace, policy: policy.meta.name, ruleIndex: index, issuer: rule.issuer,
                            timeoutSeconds: rule.timeoutSeconds))
                }
            }
        }
        return references
    }
}
