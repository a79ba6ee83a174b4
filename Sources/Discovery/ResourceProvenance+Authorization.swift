public import MeshModel

extension ResourceProvenance {
    /// The AuthorizationPolicies and RequestAuthentications behind the security filters of a listener of `proxy`:
    /// those whose RBAC policy names (`ns[<ns>]-policy[<name>]-rule[<i>]`) Envoy's message quotes, else every policy
    /// that applies to the proxy (its jwt_authn and RBAC filters sit on its inbound and gateway listeners).
    public static func securityObjects(listener name: String, error: String, proxy: Proxy?, in snapshot: MeshSnapshot)
        -> [ConfigObject]
    {
        let quoted = quotedPolicies(in: error)
        var wanted: Set<PolicyReference> = Set(quoted.map { PolicyReference(kind: "AuthorizationPolicy", namespace: $0.0, name: $0.1) })
        if wanted.isEmpty, let proxy, name == "virtualInbound" || proxy.kind == .router {
            let labels = snapshot.policyLabels(of: proxy)
            for policy in snapshot.authorizationPolicies(namespace: proxy.namespace, labels: labels) {
                wanted.insert(PolicyReference(kind: "AuthorizationPolicy", namespace: policy.meta.namespace, name: policy.meta.name))
            }
            for policy in snapshot.requestAuthentications(namespace: proxy.namespace, labels: labels) {
                wanted.insert(PolicyReference(kind: "RequestAuthentication", namespace: policy.meta.namespace, name: policy.meta.name))
            }
        }
        guard !wanted.isEmpty else { return [] }
        return snapshot.objects.values.filter { object in
            wanted.contains(PolicyReference(kind: object.key.kind.rawValue, namespace: object.key.namespace, name: object.key.name))
        }.sorted { $0.key < $1.key }
    }

    struct PolicyReference: Hashable {
        var kind: String
        var namespace: String
        var name: String
    }

    /// `(namespace, name)` of every `ns[..]-policy[..]` in `text`.
    static func quotedPolicies(in text: String) -> [(String, String)] {
        var found: [(String, String)] = []
        var rest = Substring(text)
        while let ns = rest.range(of: "ns[") {
            let after = rest[ns.upperBound...]
            guard let close = after.range(of: "]-policy["), let end = after[close.upperBound...].firstIndex(of: "]") else { break }
            found.append((String(after[..<close.lowerBound]), String(after[close.upperBound..<end])))
            rest = after[end...]
        }
        return found
    }
}
