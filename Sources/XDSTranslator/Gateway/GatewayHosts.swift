import MeshModel

/// Host name rules of gateway translation, as istiod's `host.Name` and `host.Names` apply them.
enum GatewayHosts {
    /// A VirtualService host as istiod resolves it for gateways: a name without a dot is short for
    /// `<name>.<namespace>.svc.cluster.local`; anything else (FQDNs, wildcards, `*`) is kept.
    static func resolve(_ host: String, namespace: String) -> String {
        if host == "*" || host.contains(".") { return host.lowercased() }
        return "\(host).\(namespace).svc.\(Hostname.clusterDomain)".lowercased()
    }

    /// `host` with its `namespace/` part removed.
    static func dnsName(_ host: String) -> String {
        guard let slash = host.firstIndex(of: "/") else { return host }
        return String(host[host.index(after: slash)...])
    }

    /// The server hosts that VirtualServices of `namespace` may bind (istiod's `NamesForNamespace`): unqualified and
    /// `*/` hosts always, `<namespace>/` hosts for that namespace, and `./` hosts for the Gateway's own namespace.
    static func serverHosts(_ hosts: [String], forNamespace namespace: String, gatewayNamespace: String) -> [String] {
        hosts.compactMap { host in
            guard let slash = host.firstIndex(of: "/") else { return host.lowercased() }
            let scope = String(host[..<slash])
            let name = String(host[host.index(after: slash)...]).lowercased()
            let effective = scope == "." ? gatewayNamespace : scope
            return effective == "*" || effective == namespace ? name : nil
        }
    }

    /// True when every name `host` matches is also matched by `other` (istiod's `SubsetOf`).
    static func isSubset(_ host: String, of other: String) -> Bool {
        if other == "*" { return true }
        if other.hasPrefix("*") {
            let suffix = other.dropFirst()
            if host.hasPrefix("*") { return host.dropFirst().hasSuffix(suffix) }
            return host.hasSuffix(suffix)
        }
        return host == other
    }

    /// The names covered by both lists, each the more specific of a matching pair (istiod's `Intersection`), in the
    /// order of `first`.
    static func intersection(_ first: [String], _ second: [String]) -> [String] {
        var result: [String] = []
        for host in first {
            for other in second {
                let picked: String?
                if isSubset(host, of: other) {
                    picked = host
                } else if isSubset(other, of: host) {
                    picked = other
                } else {
                    picked = nil
                }
                if let picked, !result.contains(picked) { result.append(picked) }
            }
        }
        return result
    }
}
