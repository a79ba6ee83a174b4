extension ResourceValidator {
    /// What the API server's own validation of an EndpointSlice checks and meshd relies on: ports in range,
    /// port names unique, and at least one address per endpoint, each of the slice's address type.
    static func validateEndpointSlice(_ slice: EndpointSlice, into issues: inout IssueList) {
        var names: Set<String> = []
        for (index, port) in slice.ports.enumerated() {
            if let number = port.port { issues.checkPort(number, at: "ports[\(index)].port") }
            if !names.insert(port.name).inserted {
                issues.add("ports[\(index)].name", "duplicate port name \"\(port.name)\"")
            }
        }
        for (index, endpoint) in slice.endpoints.enumerated() {
            if endpoint.addresses.isEmpty {
                issues.add("endpoints[\(index)].addresses", "at least one address is required")
            }
            for (position, address) in endpoint.addresses.enumerated() {
                if let reason = addressProblem(address, type: slice.addressType) {
                    issues.add("endpoints[\(index)].addresses[\(position)]", reason)
                }
            }
        }
    }

    /// Kubernetes' rule: every address has the slice's `addressType` (an Envoy endpoint address must parse too).
    static func addressProblem(_ address: String, type: EndpointSliceAddressType) -> String? {
        switch type {
        case .ipv4 where !IPAddress.isIPv4(address): "\"\(address)\" must be a valid IPv4 address (addressType IPv4)"
        case .ipv6 where !IPAddress.isIPv6(address): "\"\(address)\" must be a valid IPv6 address (addressType IPv6)"
        case .fqdn where !isFQDN(address): "\"\(address)\" must be a DNS name (addressType FQDN)"
        default: nil
        }
    }
}
