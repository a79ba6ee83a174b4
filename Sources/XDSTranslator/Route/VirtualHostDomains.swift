import MeshModel

/// The Host header values that reach a service, as Istio lists them for a virtual host.
enum VirtualHostDomains {
    /// The FQDN; for Kubernetes services the short name (only from the service's own namespace, where it
    /// resolves), `name.ns` and `name.ns.svc`; then each VIP. Each with and without `:<port>`.
    static func domains(for service: MeshService, port: Int, proxyNamespace: String) -> [String] {
        var names = [service.hostname]
        if let shortName = service.shortName {
            if service.namespace == proxyNamespace { names.append(shortName) }
            names.append("\(shortName).\(service.namespace)")
            names.append("\(shortName).\(service.namespace).svc")
        }
        names += service.addresses.sorted()
        var seen = Set<String>()
        return names.flatMap { [$0, "\($0):\(port)"] }.filter { seen.insert($0).inserted }
    }
}
