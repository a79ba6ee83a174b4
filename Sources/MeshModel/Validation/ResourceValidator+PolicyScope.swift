extension ResourceValidator {
    /// The group and kind pairs a security policy's `targetRef` may name (istiod's allowedTargetRefs; the version
    /// is not checked). An empty group is the core group.
    static let allowedTargetReferences: [(group: String, kind: String)] = [
        ("", "Service"), ("networking.istio.io", "ServiceEntry"), ("gateway.networking.k8s.io", "Gateway"),
        ("gateway.networking.k8s.io", "GatewayClass"),
    ]

    /// istiod's validateWorkloadSelector: label keys are not empty and nothing holds a wildcard.
    static func validatePolicySelector(_ selector: [String: String]?, into issues: inout IssueList) {
        for (key, value) in (selector ?? [:]).sorted(by: { $0.key < $1.key }) {
            if key.isEmpty {
                issues.add("spec.selector.matchLabels", "empty key is not supported in selector: \"=\(value)\"")
            } else if key.contains("*") || value.contains("*") {
                issues.add("spec.selector.matchLabels", "wildcard is not supported in selector: \"\(key)=\(value)\"")
            }
        }
    }

    /// istiod's validatePolicyTargetReference, as (field below the reference, reason) pairs. The decoder applies
    /// it, since only it knows whether the reference was written as `targetRef` or as an item of `targetRefs`.
    package static func targetReferenceProblems(_ ref: PolicyTargetReference) -> [(field: String, reason: String)] {
        var problems: [(field: String, reason: String)] = []
        if ref.name.isEmpty { problems.append(("name", "targetRef name must be set")) }
        if let namespace = ref.namespace, !namespace.isEmpty {
            problems.append(
                ("namespace", "targetRef namespace must not be set; cross namespace referencing is not supported"))
        }
        let group = ref.group == "core" ? "" : ref.group
        if !allowedTargetReferences.contains(where: { $0.group == group && $0.kind == ref.kind }) {
            let allowed = allowedTargetReferences.map { "\($0.group.isEmpty ? "core" : $0.group)/\($0.kind)" }
            problems.append(
                ("", "targetRef must be to one of \(allowed.joined(separator: ", ")) but was \(ref.group)/\(ref.kind)"))
        }
        return problems
    }
}
