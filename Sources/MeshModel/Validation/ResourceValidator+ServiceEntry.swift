import Foundation

/// istiod's webhook rules for ServiceEntry and WorkloadEntry (ValidateServiceEntry, validateWorkloadEntry in
/// pkg/config/validation), rule for rule; see the "se" rows of the validation table in Docs/traffic-management.md.
extension ResourceValidator {
    static func validateServiceEntry(_ entry: ServiceEntry, into issues: inout IssueList) {
        if entry.workloadSelector != nil && !entry.endpoints.isEmpty {
            issues.add("spec.workloadSelector", "only one of WorkloadSelector or Endpoints is allowed in Service Entry")
        }
        for (key, value) in (entry.workloadSelector ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let reason = LabelSyntax.problem(key: key, value: value) {
                issues.add("spec.workloadSelector.labels", reason)
            }
        }
        validateServiceEntryHosts(entry, into: &issues)
        validateServiceEntryAddresses(entry, into: &issues)
        let portNames = validateServiceEntryPorts(entry, into: &issues)
        switch entry.resolution {
        case .none:
            if !entry.endpoints.isEmpty {
                issues.add("spec.endpoints", "no endpoints should be provided for resolution type none")
            }
        case .dynamicDNS:
            // The destination is whatever the request names; there is nothing to list or select.
            if !entry.endpoints.isEmpty {
                issues.add("spec.endpoints", "no endpoints should be provided for resolution type DYNAMIC_DNS")
            }
            if entry.workloadSelector != nil {
                issues.add(
                    "spec.workloadSelector", "no workloadSelector should be provided for resolution type DYNAMIC_DNS")
            }
        case .staticAddresses:
            for (index, endpoint) in entry.endpoints.enumerated() {
                validateWorkloadEntryBody(
                    endpoint, at: "spec.endpoints[\(index)]", servicePorts: portNames, allowHostnames: false,
                    into: &issues)
            }
        case .dns, .dnsRoundRobin:
            if entry.endpoints.isEmpty {
                for (index, host) in entry.hosts.enumerated() where !host.isEmpty && !isFQDN(host) {
                    issues.add(
                        "spec.hosts[\(index)]",
                        "hosts must be FQDN if no endpoints are provided for resolution mode \(entry.resolution.rawValue)"
                    )
                }
            }
            if entry.resolution == .dnsRoundRobin && entry.endpoints.count > 1 {
                issues.add(
                    "spec.endpoints",
                    "there must only be 0 or 1 endpoint for resolution mode \(entry.resolution.rawValue)")
            }
            for (index, endpoint) in entry.endpoints.enumerated() {
                validateWorkloadEntryBody(
                    endpoint, at: "spec.endpoints[\(index)]", servicePorts: portNames, allowHostnames: true,
                    into: &issues)
            }
        }
        validateEndpointWeightSums(entry.endpoints, into: &issues)
        // Plain TCP cannot tell several hosts apart (HTTP has the authority, TLS the SNI), unless NONE ignores hosts.
        if entry.resolution != .none && entry.hosts.count > 1 {
            let opaque = entry.ports.contains { port in
                let parsed = ServiceProtocol.serviceEntry(port.protocol)
                return !parsed.isHTTP && parsed != .tls && parsed != .https
            }
            if opaque { issues.add("spec.ports", "multiple hosts provided with non-HTTP, non-TLS ports") }
        }
        validateExportTo(entry.exportTo.filter { $0 != "~" }, at: "spec.exportTo", into: &issues)
        for (index, san) in entry.subjectAltNames.enumerated() where san.isEmpty {
            issues.add("spec.subjectAltNames[\(index)]", "must not be empty")
        }
    }

    /// Envoy refuses a locality whose endpoint weights add up to more than a uint32; an entry's own endpoints
    /// share their localities, so that sum is checked here (unset weights count 1, as in Envoy).
    private static func validateEndpointWeightSums(_ endpoints: [WorkloadEntrySpec], into issues: inout IssueList) {
        var sums: [String: Int] = [:]
        for endpoint in endpoints {
            let weight = min(max(endpoint.weight ?? 1, 0), Int(UInt32.max))
            // Capped just past the limit: the sum can neither overflow nor hide that it went over.
            sums[endpoint.locality ?? "", default: 0] = min(
                sums[endpoint.locality ?? "", default: 0] + weight, Int(UInt32.max) * 2)
        }
        for (locality, sum) in sums.sorted(by: { $0.key < $1.key }) where sum > Int(UInt32.max) {
            let name = locality.isEmpty ? "without a locality" : "in locality \(locality)"
            issues.add(
                "spec.endpoints",
                "the weights of the endpoints \(name) add up to \(sum), more than \(UInt32.max) (Envoy's limit)")
        }
    }

    private static func validateServiceEntryHosts(_ entry: ServiceEntry, into issues: inout IssueList) {
        if entry.hosts.isEmpty { issues.add("spec.hosts", "service entry must have at least one host") }
        for (index, host) in entry.hosts.enumerated() {
            let path = "spec.hosts[\(index)]"
            if host.isEmpty {
                issues.add(path, "must not be empty")
            } else if host == "*" {
                issues.add(path, "invalid host *")
            } else if let reason = HostSyntax.wildcardDomainProblem(host) {
                issues.add(path, reason)
            }
        }
    }

    /// Addresses are IPs or CIDRs; CIDRs only where the proxy does not resolve anything (NONE, STATIC).
    private static func validateServiceEntryAddresses(_ entry: ServiceEntry, into issues: inout IssueList) {
        for (index, address) in entry.addresses.enumerated() where !IPAddress.isValidSubnet(address) {
            issues.add("spec.addresses[\(index)]", "\"\(address)\" is not a valid IP address or CIDR")
        }
        if entry.addresses.contains(where: { $0.contains("/") })
            && entry.resolution != .none && entry.resolution != .staticAddresses
        {
            issues.add("spec.addresses", "CIDR addresses are allowed only for NONE/STATIC resolution types")
        }
    }

    /// Port numbers, names (DNS-1123 labels, unique), protocols and target ports. Returns the port names.
    private static func validateServiceEntryPorts(_ entry: ServiceEntry, into issues: inout IssueList) -> Set<String> {
        var names: Set<String> = []
        var numbers: Set<Int> = []
        for (index, port) in entry.ports.enumerated() {
            let path = "spec.ports[\(index)]"
            issues.checkPort(port.number, at: "\(path).number")
            if let target = port.targetPort, target != 0 { issues.checkPort(target, at: "\(path).targetPort") }
            if !names.insert(port.name).inserted {
                issues.add("\(path).name", "service entry port name \"\(port.name)\" already defined")
            } else if !HostSyntax.isDNS1123Label(port.name) {
                issues.add("\(path).name", "invalid port name: \"\(port.name)\"")
            }
            if !numbers.insert(port.number).inserted {
                issues.add("\(path).number", "service entry port \(port.number) already defined")
            }
            if !port.protocol.isEmpty && !ServiceEntryProtocols.isKnown(port.protocol) {
                issues.add("\(path).protocol", "unsupported protocol: \(port.protocol)")
            }
        }
        return names
    }

    /// A WorkloadEntry body (also a ServiceEntry's inline endpoint). `servicePorts` are the ServiceEntry's port
    /// names, which `ports` keys must be among; `allowHostnames` is false for STATIC endpoints.
    static func validateWorkloadEntryBody(
        _ spec: WorkloadEntrySpec, at path: String, servicePorts: Set<String>? = nil, allowHostnames: Bool = true,
        into issues: inout IssueList
    ) {
        let unixPrefix = "unix://"
        if spec.address.isEmpty {
            // istiod accepts a missing address (with a warning) only for an entry reached through its network's gateway.
            if (spec.network ?? "").isEmpty { issues.add("\(path).address", "address is required") }
        } else if spec.address.hasPrefix(unixPrefix) {
            let socket = String(spec.address.dropFirst(unixPrefix.count))
            if socket.isEmpty || !(socket.hasPrefix("/") || socket.hasPrefix("@")) || socket.hasSuffix("/") {
                issues.add("\(path).address", "\(socket) is not an absolute path to a file")
            }
            if !spec.ports.isEmpty {
                issues.add("\(path).ports", "unix endpoint \(spec.address) must not include ports")
            }
            if let servicePorts, servicePorts.count != 1 {
                issues.add("\(path).address", "exactly 1 service port required for unix endpoints")
            }
        } else if !IPAddress.isValid(spec.address) {
            if !allowHostnames {
                issues.add("\(path).address", "endpoint address \"\(spec.address)\" is not a valid IP address")
            } else if !isFQDN(spec.address) {
                issues.add(
                    "\(path).address", "endpoint address \"\(spec.address)\" is not a valid FQDN or an IP address")
            }
        }
        for (name, number) in spec.ports.sorted(by: { $0.key < $1.key }) {
            if let servicePorts, !servicePorts.contains(name) {
                issues.add("\(path).ports.\(name)", "endpoint port \(number) is not defined by the service entry")
            }
            if !HostSyntax.isDNS1123Label(name) { issues.add("\(path).ports.\(name)", "invalid port name: \(name)") }
            issues.checkPort(number, at: "\(path).ports.\(name)")
        }
        for (key, value) in spec.labels.sorted(by: { $0.key < $1.key }) {
            if let reason = LabelSyntax.problem(key: key, value: value) { issues.add("\(path).labels", reason) }
        }
        if let weight = spec.weight, weight < 0 {
            issues.add("\(path).weight", "must not be negative, found \(weight)")
        }
        if let weight = spec.weight, weight > Int(UInt32.max) {
            issues.add("\(path).weight", "must fit in 32 bits, found \(weight)")
        }
        if let locality = spec.locality, locality.split(separator: "/", omittingEmptySubsequences: false).count > 3 {
            issues.add("\(path).locality", "\"\(locality)\" is not region/zone/subzone")
        }
    }

    /// istiod's ValidateFQDN: at most 255 characters of DNS-1123 labels (no wildcard).
    static func isFQDN(_ host: String) -> Bool {
        let trimmed = host.hasSuffix(".") ? String(host.dropLast()) : host
        guard !trimmed.isEmpty, trimmed.count <= 255 else { return false }
        return trimmed.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            HostSyntax.isDNS1123Label(String($0))
        }
    }
}

/// The protocol names istiod's `protocol.Parse` knows (case-insensitive); anything else is refused on a
/// ServiceEntry port. meshd translates HTTP, HTTP2, GRPC, GRPC-WEB, HTTPS and TLS; the rest are opaque TCP.
enum ServiceEntryProtocols {
    static let known: Set<String> = [
        "tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2", "https", "tls", "mongo", "redis", "mysql",
    ]

    static func isKnown(_ text: String) -> Bool { known.contains(text.lowercased()) }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
