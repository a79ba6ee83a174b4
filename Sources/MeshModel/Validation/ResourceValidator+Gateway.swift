extension ResourceValidator {
    /// The checks istiod's webhook makes on a Gateway (`ValidateGateway`, `validateServer`, `validateServerPort`,
    /// `validateServerBind`, `validateTLSOptions`).
    static func validateGateway(_ gateway: Gateway, into issues: inout IssueList) {
        if !gateway.meta.name.isEmpty && !HostSyntax.isDNS1123Label(gateway.meta.name) {
            issues.add(
                "metadata.name", "invalid gateway name \"\(gateway.meta.name)\": must be a DNS-1123 label (no dots)")
        }
        for (key, value) in gateway.selector.sorted(by: { $0.key < $1.key }) {
            if let problem = LabelSyntax.problem(key: key, value: value) { issues.add("spec.selector", problem) }
        }
        if gateway.servers.isEmpty { issues.add("spec.servers", "required: a gateway must have at least one server") }
        var portNames: Set<String> = []
        for (index, server) in gateway.servers.enumerated() {
            let path = "spec.servers[\(index)]"
            validateServer(server, at: path, into: &issues)
            if !server.port.name.isEmpty && !portNames.insert(server.port.name).inserted {
                issues.add(
                    "\(path).port.name", "port names in servers must be unique: duplicate name \"\(server.port.name)\"")
            }
        }
    }

    static func validateServer(_ server: GatewayServer, at path: String, into issues: inout IssueList) {
        if server.hosts.isEmpty { issues.add("\(path).hosts", "required: a server must contain at least one host") }
        for (index, host) in server.hosts.enumerated() {
            if let problem = gatewayHostProblem(host) { issues.add("\(path).hosts[\(index)]", problem) }
        }
        let port = server.port
        let kind = port.kind
        var portValid = true
        if kind == .unknown {
            portValid = false
            issues.add(
                "\(path).port.protocol",
                "invalid protocol \"\(port.protocol)\"; supported protocols are HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, "
                    + "MONGO, REDIS, MYSQL, TCP, TLS")
        }
        if !(1...65535).contains(port.number) {
            portValid = false
            issues.add("\(path).port.number", "port \(port.number) is out of range 1-65535")
        }
        if port.targetPort != nil { issues.add("\(path).port.targetPort", "targetPort has no impact on Gateways") }
        if port.name.isEmpty {
            portValid = false
            issues.add("\(path).port.name", "required: port name must be set")
        }
        if let bind = server.bind, !bind.isEmpty {
            if bind.hasPrefix("unix://") {
                issues.add("\(path).bind", "unix domain socket binds are not supported by meshd")
            } else if !HTTPHeaderSyntax.isIPAddress(bind) {
                issues.add("\(path).bind", "\"\(bind)\" is not a valid IP address")
            }
        }
        if let tls = server.tls { validateServerTLS(tls, at: "\(path).tls", into: &issues) }
        guard portValid else { return }
        let isTLS = kind == .https || kind == .tls
        if isTLS && server.tls == nil {
            issues.add("\(path).tls", "required: a server must have TLS settings for HTTPS/TLS protocols")
        } else if !isTLS, let tls = server.tls {
            if kind == .http {
                let passthrough = tls.mode == .passthrough || tls.mode == .autoPassthrough
                if !passthrough || tls.caCertificates != nil || tls.privateKey != nil || tls.serverCertificate != nil {
                    issues.add(
                        "\(path).tls",
                        "a server cannot have TLS settings for plain text HTTP ports (only httpsRedirect)")
                }
            } else {
                issues.add("\(path).tls", "a server cannot have TLS settings for non HTTPS/TLS ports")
            }
        }
        if kind != .http && server.tls?.httpsRedirect == true {
            issues.add("\(path).tls.httpsRedirect", "httpsRedirect can only be used with HTTP servers")
        }
    }

    /// A server host: `host` or `namespace/host`, where namespace is `*`, `.` or a DNS-1123 label and host is a
    /// FQDN, a wildcard domain, `*` or an IP address (short names are not allowed).
    static func gatewayHostProblem(_ host: String) -> String? {
        var name = host
        if let slash = host.firstIndex(of: "/") {
            let namespace = String(host[..<slash])
            name = String(host[host.index(after: slash)...])
            if namespace.isEmpty || name.isEmpty {
                return "namespace and dnsName in host entry \"\(host)\" cannot be empty"
            }
            if namespace != "*" && namespace != "." && !HostSyntax.isDNS1123Label(namespace) {
                return "invalid namespace value \"\(namespace)\" in gateway host \"\(host)\""
            }
        }
        if HTTPHeaderSyntax.isIPAddress(name) { return nil }
        if name != "*" && !name.contains(".") { return "short names (non FQDN) are not allowed: \"\(name)\"" }
        if name != "*", name.dropFirst().contains("*") || (name.hasPrefix("*") && !name.hasPrefix("*.")) {
            return "partial wildcard \"\(name)\" not allowed"
        }
        return HostSyntax.wildcardDomainProblem(name)
    }

    /// `validateTLSOptions`: which certificate sources each mode needs or forbids.
    static func validateServerTLS(_ tls: ServerTLSSettings, at path: String, into issues: inout IssueList) {
        switch tls.mode {
        case .istioMutual:
            for (field, value) in [
                ("serverCertificate", tls.serverCertificate), ("privateKey", tls.privateKey),
                ("caCertificates", tls.caCertificates), ("credentialName", tls.credentialName),
            ] where value != nil {
                issues.add("\(path).\(field)", "ISTIO_MUTUAL TLS cannot have an associated \(field)")
            }
            return
        case .passthrough, .autoPassthrough:
            // Istio only warns here (certificates are ignored); meshd ignores them the same way.
            return
        case .simple, .mutual, .optionalMutual:
            break
        }
        if tls.credentialName != nil && tls.serverCertificate != nil && tls.privateKey != nil {
            issues.add(path, "only one of credentialName and serverCertificate/privateKey should be specified")
        }
        if tls.credentialName != nil { return }
        let prefix = tls.mode == .simple ? "SIMPLE TLS" : "MUTUAL TLS"
        if tls.mode != .simple && tls.caCertificates == nil {
            issues.add("\(path).caCertificates", "\(prefix) requires a client CA bundle")
        }
        if tls.serverCertificate == nil {
            issues.add("\(path).serverCertificate", "\(prefix) requires a server certificate (or credentialName)")
        }
        if tls.privateKey == nil {
            issues.add("\(path).privateKey", "\(prefix) requires a private key (or credentialName)")
        }
    }

    /// A TLS Secret must hold a certificate with its key, or a CA bundle, in PEM.
    static func validateTLSSecret(_ secret: TLSSecret, into issues: inout IssueList) {
        // An Opaque Secret with none of the TLS keys is not TLS material at all; istiod does not validate Secrets.
        if secret.type == "Opaque" && secret.certificateChain == nil && secret.privateKey == nil
            && secret.caCertificate == nil
        {
            return
        }
        if (secret.certificateChain == nil) != (secret.privateKey == nil) {
            issues.add("data", "a TLS Secret needs both a certificate (tls.crt or cert) and its key (tls.key or key)")
        }
        if secret.certificateChain == nil && secret.caCertificate == nil {
            issues.add(
                "data", "a TLS Secret needs tls.crt and tls.key (or cert and key), or a CA bundle (ca.crt or cacert)")
        }
        for (field, value) in [
            ("tls.crt", secret.certificateChain), ("ca.crt", secret.caCertificate),
        ] {
            if let value, !value.contains("-----BEGIN CERTIFICATE-----") {
                issues.add("data.\(field)", "is not a PEM certificate")
            }
        }
        if let key = secret.privateKey, !(key.contains("-----BEGIN") && key.contains("PRIVATE KEY-----")) {
            issues.add("data.tls.key", "is not a PEM private key")
        }
    }
}
