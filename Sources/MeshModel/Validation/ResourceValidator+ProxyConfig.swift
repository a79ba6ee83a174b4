extension ResourceValidator {
    /// istiod's ValidateProxyConfig: selector labels have non-empty keys and no wildcards, and `concurrency` is not
    /// negative.
    static func validateProxyConfig(_ config: ProxyConfig, into issues: inout IssueList) {
        validateSelectorLabels(config.selector, into: &issues)
        if let concurrency = config.settings.concurrency, concurrency < 0 {
            issues.add("spec.concurrency", "must be greater than or equal to 0, found \(concurrency)")
        }
    }

    /// istiod's validateWorkloadSelector over `selector.matchLabels`.
    static func validateSelectorLabels(_ selector: [String: String]?, into issues: inout IssueList) {
        guard let selector else { return }
        for (key, value) in selector.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty {
                issues.add("spec.selector.matchLabels", "key must not be empty (\"=\(value)\")")
            } else if key.contains("*") || value.contains("*") {
                issues.add("spec.selector.matchLabels", "wildcard is not supported in selector (\"\(key)=\(value)\")")
            }
        }
    }

    /// istiod's ValidateWorkloadGroup: valid `metadata.labels`, a template whose ports, labels, weight and locality
    /// are valid (its `address` is the proxy's, so it is not required), and a probe with non-negative thresholds, a
    /// valid port, scheme and header names, and a command for `exec`.
    static func validateWorkloadGroup(_ group: WorkloadGroup, into issues: inout IssueList) {
        for (key, value) in group.labels.sorted(by: { $0.key < $1.key }) {
            if let reason = LabelSyntax.problem(key: key, value: value) { issues.add("spec.metadata.labels", reason) }
        }
        var template = group.template
        if template.address.isEmpty { template.address = "0.0.0.0" }
        validateWorkloadEntryBody(template, at: "spec.template", into: &issues)
        guard let probe = group.probe else { return }
        let thresholds: [(String, Int)] = [
            ("periodSeconds", probe.periodSeconds), ("initialDelaySeconds", probe.initialDelaySeconds),
            ("timeoutSeconds", probe.timeoutSeconds), ("successThreshold", probe.successThreshold),
            ("failureThreshold", probe.failureThreshold),
        ]
        for (name, value) in thresholds where value < 0 {
            issues.add("spec.probe.\(name)", "\(name) must be non-negative, found \(value)")
        }
        switch probe.method {
        case .httpGet(let port, _, _, let scheme, let headerNames):
            issues.checkProbePort(port, at: "spec.probe.httpGet.port")
            if let scheme, !scheme.isEmpty, scheme != "HTTP", scheme != "HTTPS" {
                issues.add("spec.probe.httpGet.scheme", "must be HTTP or HTTPS, found \"\(scheme)\"")
            }
            for (index, name) in headerNames.enumerated() where !isProbeHeaderName(name) {
                issues.add(
                    "spec.probe.httpGet.httpHeaders[\(index)].name",
                    "\"\(name)\" is not a header name (letters, digits, '-' and '_')")
            }
        case .tcpSocket(let port): issues.checkProbePort(port, at: "spec.probe.tcpSocket.port")
        case .grpc(let port): issues.checkProbePort(port, at: "spec.probe.grpc.port")
        case .exec(let command):
            if command.isEmpty { issues.add("spec.probe.exec.command", "exec.command is required") }
        case nil: break
        }
    }

    /// The CRD's pattern for a probe header name: `^[-_A-Za-z0-9]+$`.
    static func isProbeHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}

extension IssueList {
    /// A probe's port: istiod's "port must be between 1-65535".
    mutating func checkProbePort(_ port: Int, at path: String) {
        if !(1...65535).contains(port) { add(path, "port must be between 1-65535, found \(port)") }
    }
}
