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

    /// SIMPLE and MUTUAL read files on the proxy; MUTUAL needs both the certificate and the key.
    static func validateClientTLS(_ tls: ClientTLSSettings, at path: String, into issues: inout IssueList) {
        guard tls.mode == .mutual else { return }
        if (tls.clientCertificate ?? "").isEmpty { issues.add("\(path).clientCertificate", "required for MUTUAL") }
        if (tls.privateKey ?? "").isEmpty { issues.add("\(path).privateKey", "required for MUTUAL") }
    }
}
