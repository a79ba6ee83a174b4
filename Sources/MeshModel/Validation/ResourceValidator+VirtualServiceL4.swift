/// istiod's webhook rules for a VirtualService's `tcp` and `tls` routes (validateTCPRoute, validateTLSRoute and
/// validateSniHost in pkg/config/validation), rule for rule; see the L4 rows of Docs/traffic-management.md.
extension ResourceValidator {
    static func validateL4Routes(_ service: VirtualService, into issues: inout IssueList) {
        for (index, route) in service.tcp.enumerated() {
            validateTCPRoute(route, at: "spec.tcp[\(index)]", into: &issues)
        }
        for (index, route) in service.tls.enumerated() {
            validateTLSRoute(route, in: service, at: "spec.tls[\(index)]", into: &issues)
        }
    }

    static func validateTCPRoute(_ route: TCPRoute, at path: String, into issues: inout IssueList) {
        for (index, match) in route.match.enumerated() {
            let matchPath = "\(path).match[\(index)]"
            validateL4Attributes(
                subnets: match.destinationSubnets, port: match.port, sourceLabels: match.sourceLabels,
                sourceNamespace: match.sourceNamespace, gateways: match.gateways, at: matchPath, into: &issues)
        }
        if route.route.isEmpty { issues.add("\(path).route", "TCP route is required") }
        validateL4Destinations(route.route, at: "\(path).route", into: &issues)
    }

    static func validateTLSRoute(
        _ route: TLSRoute, in service: VirtualService, at path: String,
        into issues: inout IssueList
    ) {
        if route.match.isEmpty { issues.add("\(path).match", "TLS route must have at least one match condition") }
        for (index, match) in route.match.enumerated() {
            let matchPath = "\(path).match[\(index)]"
            if match.sniHosts.isEmpty {
                issues.add("\(matchPath).sniHosts", "TLS match must have at least one SNI host")
            }
            for (hostIndex, sni) in match.sniHosts.enumerated() {
                if let reason = sniHostProblem(sni, in: service) {
                    issues.add("\(matchPath).sniHosts[\(hostIndex)]", reason)
                }
            }
            validateL4Attributes(
                subnets: match.destinationSubnets, port: match.port, sourceLabels: match.sourceLabels,
                sourceNamespace: match.sourceNamespace, gateways: match.gateways, at: matchPath, into: &issues)
        }
        if route.route.isEmpty { issues.add("\(path).route", "TLS route is required") }
        validateL4Destinations(route.route, at: "\(path).route", into: &issues)
    }

    /// An SNI host must be a (wildcard) domain and fall within one of the VirtualService's hosts. As in istiod, an
    /// IPv4 address passes the domain check (and must then match a host); one that fails it (IPv6) is let through.
    static func sniHostProblem(_ sni: String, in service: VirtualService) -> String? {
        let boundToGateway = !service.gateways.isEmpty && !service.gateways.contains("mesh")
        if sni == "*" && boundToGateway { return nil }
        if let reason = HostSyntax.wildcardDomainProblem(sni) {
            return IPAddress.isValid(sni) ? nil : reason
        }
        if service.hosts.contains(where: { sniHostIsSubset(sni, of: $0) }) { return nil }
        return "SNI host \"\(sni)\" is not a compatible subset of any of the virtual service hosts: ["
            + service.hosts.joined(separator: ", ") + "]"
    }

    /// istiod's `host.Name.SubsetOf`: equal, or `host` is a wildcard whose suffix covers `sni`.
    static func sniHostIsSubset(_ sni: String, of host: String) -> Bool {
        if host == "*" { return true }
        if host.hasPrefix("*") {
            let suffix = host.dropFirst()
            return sni.hasPrefix("*") ? sni.dropFirst().hasSuffix(suffix) : sni.hasSuffix(suffix)
        }
        return !sni.hasPrefix("*") && sni == host
    }

    static func validateL4Attributes(
        subnets: [String], port: Int?, sourceLabels: [String: String], sourceNamespace: String?, gateways: [String],
        at path: String, into issues: inout IssueList
    ) {
        for (index, subnet) in subnets.enumerated() where !IPAddress.isValidSubnet(subnet) {
            issues.add("\(path).destinationSubnets[\(index)]", "\"\(subnet)\" is not a valid IP address or CIDR")
        }
        if let port, port != 0 { issues.checkPort(port, at: "\(path).port") }
        for (key, value) in sourceLabels.sorted(by: { $0.key < $1.key }) {
            if let reason = LabelSyntax.problem(key: key, value: value) { issues.add("\(path).sourceLabels", reason) }
        }
        if let namespace = sourceNamespace, !namespace.isEmpty, !HostSyntax.isDNS1123Label(namespace) {
            issues.add("\(path).sourceNamespace", "sourceNamespace match \(namespace) is invalid")
        }
        validateGatewayNames(gateways, at: "\(path).gateways", into: &issues)
    }

    /// Destinations of a tcp or tls route: each destination valid, and the weights as `checkWeights` wants them.
    static func validateL4Destinations(
        _ destinations: [RouteDestination], at path: String,
        into issues: inout IssueList
    ) {
        for (index, destination) in destinations.enumerated() {
            let destinationPath = "\(path)[\(index)]"
            validateDestination(destination.destination, at: "\(destinationPath).destination", into: &issues)
        }
        issues.checkWeights(destinations.map(\.weight), at: path)
    }
}
