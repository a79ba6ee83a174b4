extension ResourceValidator {
    /// istiod's rules: `portLevelMtls` needs a selector with labels (ports belong to workloads), ports are
    /// 1-65535, and selector labels have keys without wildcards. A selector without labels is scoped like none
    /// (the decoder warns about it), so it cannot carry port-level settings either.
    static func validatePeerAuthentication(_ policy: PeerAuthentication, into issues: inout IssueList) {
        if let selector = policy.selector, !selector.isEmpty {
            for (key, value) in selector.sorted(by: { $0.key < $1.key }) {
                if key.isEmpty {
                    issues.add("spec.selector.matchLabels", "empty key is not supported in selector")
                } else if key.contains("*") || value.contains("*") {
                    issues.add("spec.selector.matchLabels", "wildcard is not supported in selector")
                }
            }
        } else if !policy.portLevelModes.isEmpty {
            issues.add("spec.portLevelMtls", "requires a workload selector; port-level settings apply to workloads")
        }
        for port in policy.portLevelModes.keys.sorted() {
            issues.checkPort(port, at: "spec.portLevelMtls.\(port)")
        }
    }
}
