/// `istioctl analyze`-style checks over an accepted snapshot: configuration that is valid but probably wrong.
/// The findings are warnings, never errors: nothing is refused, the configuration stays in force.
///
/// Pure and deterministic (sorted by object, then field path); thread-safe.
public enum ConfigAnalysis {
    /// istioctl's message code for a reference to something that does not exist.
    public static let referencedResourceNotFound = "IST0101 ReferencedResourceNotFound"

    /// Every finding in `snapshot`:
    /// - a VirtualService destination (route, mirror; http, tcp and tls) whose host matches no service;
    /// - a VirtualService destination naming a subset that no DestinationRule for its host defines;
    /// - a DestinationRule whose host matches no service;
    /// - Sidecars: several without a selector in one namespace, or several selecting one workload
    ///   (`ConfigAnalysis+Sidecar.swift`).
    public static func analyze(_ snapshot: MeshSnapshot) -> [ConfigDiagnostic] {
        let hosts = ServiceHosts(snapshot)
        var findings: [ConfigDiagnostic] = []
        for key in snapshot.objects.keys.sorted() {
            guard let object = snapshot.objects[key] else { continue }
            func warn(_ path: String, _ message: String) {
                findings.append(
                    ConfigDiagnostic(
                        file: object.source.file, document: object.source.document, line: object.source.line,
                        object: key, fieldPath: path, reason: "\(referencedResourceNotFound): \(message)",
                        severity: .warning))
            }
            switch object.resource {
            case .virtualService(let service):
                for (path, destination) in destinations(of: service) {
                    let hostname = Hostname.resolve(destination.host, namespace: service.meta.namespace)
                    if !hosts.contains(hostname) {
                        warn("\(path).host", "referenced host not found: \"\(destination.host)\"")
                    } else if let subset = destination.subset, !subset.isEmpty,
                        !definesSubset(subset, host: hostname, in: snapshot)
                    {
                        warn(
                            "\(path).subset",
                            "referenced host+subset in destinationrule not found: \"\(destination.host)+\(subset)\"")
                    }
                }
            case .destinationRule(let rule):
                let hostname = Hostname.resolve(rule.host, namespace: rule.meta.namespace)
                if !rule.host.isEmpty && !hosts.contains(hostname) {
                    warn("spec.host", "referenced host not found: \"\(rule.host)\"; the rule applies to no service")
                }
            case .sidecar(let sidecar):
                for finding in sidecarFindings(sidecar, in: snapshot) {
                    findings.append(
                        ConfigDiagnostic(
                            file: object.source.file, document: object.source.document, line: object.source.line,
                            object: key, fieldPath: finding.path, reason: finding.message, severity: .warning))
                }
            default:
                continue
            }
        }
        return findings
    }

    /// Every destination of a VirtualService with its field path.
    static func destinations(of service: VirtualService) -> [(path: String, destination: Destination)] {
        var result: [(String, Destination)] = []
        for (index, http) in service.http.enumerated() {
            let path = "spec.http[\(index)]"
            for (position, route) in http.route.enumerated() {
                result.append(("\(path).route[\(position)].destination", route.destination))
            }
            if let mirror = http.mirror { result.append(("\(path).mirror", mirror)) }
            for (position, mirror) in http.mirrors.enumerated() {
                result.append(("\(path).mirrors[\(position)].destination", mirror.destination))
            }
        }
        for (index, tcp) in service.tcp.enumerated() {
            for (position, route) in tcp.route.enumerated() {
                result.append(("spec.tcp[\(index)].route[\(position)].destination", route.destination))
            }
        }
        for (index, tls) in service.tls.enumerated() {
            for (position, route) in tls.route.enumerated() {
                result.append(("spec.tls[\(index)].route[\(position)].destination", route.destination))
            }
        }
        return result
    }

    /// Whether any DestinationRule whose host covers `host` (in any namespace) defines `subset`. Looser than the
    /// rule a given client would use, so a warning is never a false alarm.
    static func definesSubset(_ subset: String, host: String, in snapshot: MeshSnapshot) -> Bool {
        let candidates =
            (snapshot.destinationRulesByHost[host] ?? [])
            + snapshot.destinationRuleWildcardHosts.filter { MeshSnapshot.wildcard($0, matches: host) }
            .flatMap { snapshot.destinationRulesByHost[$0] ?? [] }
        return candidates.contains { $0.subset(named: subset) != nil }
    }

    /// The hostnames of the snapshot's services, exact and wildcard (ServiceEntry hosts such as `*.example.com`).
    struct ServiceHosts {
        let exact: Set<String>
        let wildcards: [String]

        init(_ snapshot: MeshSnapshot) {
            exact = Set(snapshot.servicesByHostname.keys)
            wildcards = exact.filter { $0.hasPrefix("*") }.sorted()
        }

        /// A host matches a service with the same name, a wildcard service covering it, or (when the host is
        /// itself a wildcard) any service it covers.
        func contains(_ host: String) -> Bool {
            if exact.contains(host) { return true }
            if wildcards.contains(where: { HostSyntax.wildcardMatches($0, host) }) { return true }
            guard host.hasPrefix("*") else { return false }
            return exact.contains { HostSyntax.wildcardMatches(host, $0) }
        }
    }
}
