extension ResourceValidator {
    /// istiod's rules on the scope of a Telemetry (the decoder checks the fields of each entry as it reads them):
    /// selector labels have non-empty keys without wildcards.
    static func validateTelemetry(_ telemetry: Telemetry, into issues: inout IssueList) {
        guard let selector = telemetry.selector else { return }
        for (key, value) in selector.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty {
                issues.add("spec.selector.matchLabels", "empty key is not supported in selector")
            } else if key.contains("*") || value.contains("*") {
                issues.add("spec.selector.matchLabels", "wildcard is not supported in selector")
            }
        }
    }
}
