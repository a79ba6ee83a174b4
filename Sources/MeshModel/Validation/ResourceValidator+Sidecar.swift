extension ResourceValidator {
    /// istiod's webhook rules for a Sidecar (Docs/traffic-management.md, "Validation parity", Sidecar). Warnings
    /// that need the YAML (empty selector, duplicated hosts) are given by the decoder.
    static func validateSidecar(_ sidecar: Sidecar, into issues: inout IssueList) {
        for key in (sidecar.workloadSelector ?? [:]).keys.sorted() where !HostSyntax.isLabelKey(key) {
            issues.add("spec.workloadSelector.labels", "invalid label key \"\(key)\"")
        }
        if sidecar.egress.isEmpty && sidecar.ingress.isEmpty && sidecar.outboundTrafficPolicy == nil {
            issues.add(
                "spec", "empty configuration provided: set egress, ingress or outboundTrafficPolicy")
        }
        var ingressPorts: Set<Int> = []
        for (index, listener) in sidecar.ingress.enumerated() {
            validateSidecarIngress(
                listener, at: "spec.ingress[\(index)]", ports: &ingressPorts, into: &issues)
        }
        var egressPorts: Set<Int> = []
        var socketBinds: Set<String> = []
        for (index, listener) in sidecar.egress.enumerated() {
            let path = "spec.egress[\(index)]"
            if let port = listener.port {
                validateSidecarEgressPort(port, listener: listener, at: path, into: &issues)
                if port.number == 0 {
                    if !socketBinds.insert(listener.bind ?? "").inserted {
                        issues.add("\(path).bind", "unix domain socket values for listeners must be unique")
                    }
                } else if !egressPorts.insert(port.number).inserted {
                    issues.add("\(path).port.number", "ports on IP bound listeners must be unique")
                }
            } else if index != sidecar.egress.count - 1 {
                // The catch-all listener (no port) takes what the others leave, so it must come last.
                issues.add(
                    "\(path).port",
                    "the egress listener with empty port should be the last listener in the list")
            }
            if listener.hosts.isEmpty {
                issues.add("\(path).hosts", "egress listener must contain at least one host")
            }
            for (hostIndex, host) in listener.hosts.enumerated() {
                if let problem = egressHostProblem(host) {
                    issues.add("\(path).hosts[\(hostIndex)]", problem)
                }
            }
        }
    }

    static func validateSidecarIngress(
        _ listener: SidecarIngressListener, at path: String, ports: inout Set<Int>,
        into issues: inout IssueList
    ) {
        guard let port = listener.port else {
            issues.add("\(path).port", "port is required for ingress listeners")
            return
        }
        if port.targetPort.map({ $0 > 0 }) == true {
            issues.add("\(path).port.targetPort", "targetPort has no impact on Sidecars")
        }
        validateSidecarPortBasics(port, at: "\(path).port", into: &issues)
        issues.checkPort(port.number, at: "\(path).port.number")
        if let bind = listener.bind, !bind.isEmpty, !IPAddress.isValid(bind) {
            issues.add("\(path).bind", "\"\(bind)\" is not an IP address")
        }
        if !ports.insert(port.number).inserted {
            issues.add("\(path).port.number", "ports on IP bound listeners must be unique")
        }
        if let endpoint = listener.defaultEndpoint, !endpoint.isEmpty,
            let problem = SidecarDefaultEndpoint.problem(endpoint)
        {
            issues.add("\(path).defaultEndpoint", problem)
        }
        if let mode = listener.tlsMode {
            if mode == "ISTIO_MUTUAL" || mode == "AUTO_PASSTHROUGH" {
                issues.add("\(path).tls.mode", "cannot set mode to \(mode) in sidecar ingress tls")
            }
            if !["HTTPS", "TLS"].contains(port.protocol.uppercased()) {
                issues.add("\(path).tls", "server cannot have TLS settings for non HTTPS/TLS ports")
            }
        }
    }

    /// A port of 0 means a unix domain socket, bound with `bind: unix://...`.
    static func validateSidecarEgressPort(
        _ port: SidecarPort, listener: SidecarEgressListener, at path: String,
        into issues: inout IssueList
    ) {
        if port.targetPort.map({ $0 > 0 }) == true {
            issues.add("\(path).port.targetPort", "targetPort has no impact on Sidecars")
        }
        validateSidecarPortBasics(port, at: "\(path).port", into: &issues)
        let bind = listener.bind ?? ""
        if port.number == 0 {
            if !bind.hasPrefix(SidecarDefaultEndpoint.unixPrefix) {
                issues.add("\(path).bind", "ports with 0 value must have a unix domain socket bind address")
            } else if let problem = SidecarDefaultEndpoint.unixPathProblem(bind) {
                issues.add("\(path).bind", problem)
            }
            if let mode = listener.captureMode, mode == .iptables {
                issues.add(
                    "\(path).captureMode", "captureMode must be DEFAULT/NONE for unix domain socket listeners"
                )
            }
        } else {
            issues.checkPort(port.number, at: "\(path).port.number")
            if !bind.isEmpty && !IPAddress.isValid(bind) {
                issues.add("\(path).bind", "\"\(bind)\" is not an IP address")
            }
        }
    }

    /// Port name (optional, a DNS-1123 label) and protocol (one Istio knows).
    static func validateSidecarPortBasics(
        _ port: SidecarPort, at path: String, into issues: inout IssueList
    ) {
        if !port.name.isEmpty && !HostSyntax.isDNS1123Label(port.name) {
            issues.add("\(path).name", "invalid port name \"\(port.name)\"")
        }
        if !SidecarDefaultEndpoint.knownProtocols.contains(port.protocol.lowercased()) {
            issues.add("\(path).protocol", "unrecognized protocol \"\(port.protocol)\"")
        }
    }

    /// `namespace/dnsName`: namespace `*`, `.`, `~` or a DNS-1123 label; dnsName `*` or a (wildcard) domain. A `~`
    /// in front of a namespace (`~prod-us2/*`, `~prod-apis/foo.example.com`) excludes those hosts from what the
    /// listener's other hosts import, as Istio's Sidecar reference shows.
    static func egressHostProblem(_ host: String) -> String? {
        let parts = host.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(
            String.init)
        guard parts.count == 2 else { return "host \"\(host)\" must be of form namespace/dnsName" }
        guard !parts[0].isEmpty, !parts[1].isEmpty else {
            return "namespace and dnsName in host entry \"\(host)\" cannot be empty"
        }
        if parts[0].hasPrefix("~") && parts[0].count > 1 {
            let excluded = String(parts[0].dropFirst())
            if excluded != "*" && excluded != "." && !HostSyntax.isDNS1123Label(excluded) {
                return "invalid namespace value \"\(excluded)\" in sidecar host \"\(host)\""
            }
        } else if !["*", ".", "~"].contains(parts[0]) && !HostSyntax.isDNS1123Label(parts[0]) {
            return "invalid namespace value \"\(parts[0])\" in sidecar host \"\(host)\""
        }
        if parts[1] == "*" { return nil }
        return HostSyntax.wildcardDomainProblem(parts[1])
    }
}

/// Rules for a Sidecar ingress `defaultEndpoint` and unix socket addresses, and Istio's protocol names.
enum SidecarDefaultEndpoint {
    static let unixPrefix = "unix://"
    static let knownProtocols: Set<String> = [
        "http", "https", "http2", "grpc", "grpc-web", "http_proxy", "tcp", "tls", "udp", "mongo",
        "redis", "mysql",
    ]
    /// The hosts istiod accepts before the port: loopback or any-address, IPv4 or IPv6, or none.
    static let hosts: Set<String> = ["", "127.0.0.1", "0.0.0.0", "::1", "::"]

    /// Why `endpoint` is not `127.0.0.1:PORT`, `0.0.0.0:PORT`, `[::1]:PORT`, `[::]:PORT`, `:PORT` or
    /// `unix:///path`, or nil.
    static func problem(_ endpoint: String) -> String? {
        if endpoint.hasPrefix(unixPrefix) { return unixPathProblem(endpoint) }
        guard let (host, portText) = splitHostPort(endpoint) else {
            return "\"\(endpoint)\" is not host:port"
        }
        if !hosts.contains(host) {
            return
                "defaultEndpoint must be of form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port>, unix://<path> or unset"
        }
        guard let port = Int(portText) else {
            return "defaultEndpoint port \"\(portText)\" is not a number"
        }
        if !(1...65535).contains(port) { return "port \(port) is out of range 1-65535" }
        return nil
    }

    /// `unix://` followed by an absolute path or an abstract socket name (`@name`).
    static func unixPathProblem(_ address: String) -> String? {
        let path = String(address.dropFirst(unixPrefix.count))
        if path.isEmpty { return "unix address must not be empty" }
        if path.hasPrefix("@") || path.hasPrefix("/") { return nil }
        return "\"\(path)\" is not an absolute path"
    }

    /// `host:port` or `[v6]:port`, as Go's net.SplitHostPort reads them.
    static func splitHostPort(_ text: String) -> (String, String)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            return (String(text[text.index(after: text.startIndex)..<close]), String(rest.dropFirst()))
        }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        if host.contains(":") { return nil }
        return (host, String(text[text.index(after: colon)...]))
    }
}

extension HostSyntax {
    /// A Kubernetes label key: an optional DNS prefix and `/`, then a name of at most 63 alphanumerics, '-', '_'
    /// and '.', starting and ending alphanumeric.
    static func isLabelKey(_ key: String) -> Bool {
        var name = Substring(key)
        if let slash = key.lastIndex(of: "/") {
            let prefix = key[..<slash]
            if prefix.isEmpty || prefix.count > 253 { return false }
            if prefix.split(separator: ".", omittingEmptySubsequences: false).contains(where: {
                !isDNS1123Label(String($0))
            }) {
                return false
            }
            name = key[key.index(after: slash)...]
        }
        guard (1...63).contains(name.count), let first = name.first, let last = name.last else {
            return false
        }
        guard first.isASCII && (first.isLetter || first.isNumber),
            last.isASCII && (last.isLetter || last.isNumber)
        else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
