/// The checks istiod's admission webhook makes, on typed resources, so every source (files, Kubernetes, etcd)
/// refuses the same things. Pure and thread-safe.
public enum ResourceValidator {
    /// Every issue found in `resource`; empty when it is valid.
    public static func validate(_ resource: MeshResource) -> [ValidationIssue] {
        var issues = IssueList()
        if resource.meta.name.isEmpty { issues.add("metadata.name", "required") }
        switch resource {
        case .service(let service): validateService(service, into: &issues)
        case .pod(let pod): validatePod(pod, into: &issues)
        case .workloadEntry(let entry): validateWorkloadEntryBody(entry.spec, at: "spec", into: &issues)
        case .serviceEntry(let entry): validateServiceEntry(entry, into: &issues)
        case .virtualService(let service): validateVirtualService(service, into: &issues)
        case .destinationRule(let rule): validateDestinationRule(rule, into: &issues)
        case .peerAuthentication(let policy): validatePeerAuthentication(policy, into: &issues)
        case .endpointSlice(let slice): validateEndpointSlice(slice, into: &issues)
        case .sidecar(let sidecar): validateSidecar(sidecar, into: &issues)
        case .gateway(let gateway): validateGateway(gateway, into: &issues)
        case .secret(let secret): validateTLSSecret(secret, into: &issues)
        case .authorizationPolicy(let policy): validateAuthorizationPolicy(policy, into: &issues)
        case .requestAuthentication(let policy): validateRequestAuthentication(policy, into: &issues)
        case .telemetry(let telemetry): validateTelemetry(telemetry, into: &issues)
        // The decoder applies istiod's EnvoyFilter rules as it reads each patch (they depend on how it was written).
        case .envoyFilter: break
        case .proxyConfig(let config): validateProxyConfig(config, into: &issues)
        case .workloadGroup(let group): validateWorkloadGroup(group, into: &issues)
        case .node: break
        }
        return issues.issues
    }

    static func validateService(_ service: KubernetesService, into issues: inout IssueList) {
        // Kubernetes' own rule; an invalid address would reach Envoy as a listener or route address and be NACKed.
        if let clusterIP = service.clusterIP, !clusterIP.isEmpty, clusterIP != "None", !IPAddress.isValid(clusterIP) {
            issues.add(
                "spec.clusterIP",
                "\"\(clusterIP)\" must be a valid IP address (such as 10.96.0.10 or 2001:db8::a), \"None\" or empty")
        }
        for (index, port) in service.ports.enumerated() {
            let path = "spec.ports[\(index)]"
            issues.checkPort(port.port, at: "\(path).port")
            if case .number(let target) = port.targetPort { issues.checkPort(target, at: "\(path).targetPort") }
            if service.ports.count > 1 && (port.name ?? "").isEmpty {
                issues.add("\(path).name", "required when a Service has more than one port")
            }
        }
    }

    /// A Pod's address becomes an endpoint address: Kubernetes refuses one that is not an IP, and so would Envoy.
    static func validatePod(_ pod: Pod, into issues: inout IssueList) {
        if let ip = pod.podIP, !ip.isEmpty, !IPAddress.isValid(ip) {
            issues.add("status.podIP", "\"\(ip)\" must be a valid IP address (such as 10.1.2.3 or 2001:db8::3)")
        }
    }
}

/// Accumulates issues; checks shared by several kinds live here.
struct IssueList {
    private(set) var issues: [ValidationIssue] = []

    mutating func add(_ path: String, _ reason: String) {
        issues.append(ValidationIssue(fieldPath: path, reason: reason))
    }

    /// Ports are 1-65535.
    mutating func checkPort(_ port: Int, at path: String) {
        if !(1...65535).contains(port) { add(path, "port \(port) is out of range 1-65535") }
    }
}
