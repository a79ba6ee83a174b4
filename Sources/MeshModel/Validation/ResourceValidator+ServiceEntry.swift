import Foundation

extension ResourceValidator {
    static func validateServiceEntry(_ entry: ServiceEntry, into issues: inout IssueList) {
        if entry.hosts.isEmpty { issues.add("spec.hosts", "at least one host is required") }
        for (index, host) in entry.hosts.enumerated() where host.isEmpty {
            issues.add("spec.hosts[\(index)]", "must not be empty")
        }
        if entry.ports.isEmpty { issues.add("spec.ports", "at least one port is required") }
        var names: Set<String> = []
        for (index, port) in entry.ports.enumerated() {
            let path = "spec.ports[\(index)]"
            issues.checkPort(port.number, at: "\(path).number")
            if let target = port.targetPort { issues.checkPort(target, at: "\(path).targetPort") }
            if port.name.isEmpty {
                issues.add("\(path).name", "required")
            } else if !names.insert(port.name).inserted {
                issues.add("\(path).name", "duplicate port name \"\(port.name)\"")
            }
        }
        if !entry.endpoints.isEmpty && entry.workloadSelector != nil {
            issues.add("spec.workloadSelector", "only one of endpoints and workloadSelector may be set")
        }
        for (index, endpoint) in entry.endpoints.enumerated() {
            let path = "spec.endpoints[\(index)]"
            validateWorkloadEntrySpec(endpoint, at: path, into: &issues)
            if entry.resolution == .staticAddresses && !endpoint.address.isEmpty && !IPAddress.isValid(endpoint.address)
            {
                issues.add("\(path).address", "\"\(endpoint.address)\" is not an IP address, as STATIC resolution requires")
            }
        }
    }
}

/// Textual IP address checks, without touching the network.
enum IPAddress {
    static func isValid(_ text: String) -> Bool { isIPv4(text) || isIPv6(text) }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && (Int(part) ?? 256) <= 255
            }
    }

    static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":") else { return false }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        guard groups.count >= 3, groups.count <= 8 || (groups.count == 9 && text.contains("::")) else { return false }
        guard text.components(separatedBy: "::").count <= 2 else { return false }
        return groups.allSatisfy { group in group.count <= 4 && group.allSatisfy(\.isHexDigit) }
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
