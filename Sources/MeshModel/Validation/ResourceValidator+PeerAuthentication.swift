extension ResourceValidator {
    /// istiod's rules: `portLevelMtls` needs a selector (ports belong to workloads), ports are 1-65535, and a
    /// selector must name at least one label.
    static func validatePeerAuthentication(_ policy: PeerAuthentication, into issues: inout IssueList) {
        if let selector = policy.selector {
            if selector.isEmpty {
                issues.add("spec.selector.matchLabels", "must name at least one label when a selector is given")
            }
            for key in selector.keys.sorted() where key.isEmpty {
                issues.add("spec.selector.matchLabels", "label keys must not be empty")
            }
        } else if !policy.portLevelModes.isEmpty {
            issues.add("spec.portLevelMtls", "requires a workload selector; port-level settings apply to workloads")
        }
        for port in policy.portLevelModes.keys.sorted() {
            issues.checkPort(port, at: "spec.portLevelMtls.\(port)")
        }
    }
}
