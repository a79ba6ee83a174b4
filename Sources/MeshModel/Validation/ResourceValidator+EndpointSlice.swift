extension ResourceValidator {
    /// What the API server's own validation of an EndpointSlice checks and meshd relies on: ports in range,
    /// port names unique, and at least one address per endpoint.
    static func validateEndpointSlice(_ slice: EndpointSlice, into issues: inout IssueList) {
        var names: Set<String> = []
        for (index, port) in slice.ports.enumerated() {
            if let number = port.port { issues.checkPort(number, at: "ports[\(index)].port") }
            if !names.insert(port.name).inserted {
                issues.add("ports[\(index)].name", "duplicate port name \"\(port.name)\"")
            }
        }
        for (index, endpoint) in slice.endpoints.enumerated() where endpoint.addresses.isEmpty {
            issues.add("endpoints[\(index)].addresses", "at least one address is required")
        }
    }
}
