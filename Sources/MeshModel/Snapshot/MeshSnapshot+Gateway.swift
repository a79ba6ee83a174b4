extension MeshSnapshot {
    /// Fills the gateway indexes: Gateways ordered by namespace then name, and TLS Secrets by `namespace/name`.
    mutating func indexGateways(_ gateways: [Gateway], secrets: [TLSSecret]) {
        self.gateways = gateways.sorted { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }
        self.tlsSecrets = Dictionary(
            secrets.map { ("\($0.meta.namespace)/\($0.meta.name)", $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The Gateways whose selector matches a gateway workload's labels, in any namespace (Istio's default
    /// `PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false`), ordered by namespace then name.
    public func gateways(selecting labels: [String: String]) -> [Gateway] {
        gateways.filter { $0.selects(labels: labels) }
    }

    /// The TLS Secret `name` in `namespace`, if any.
    public func tlsSecret(namespace: String, name: String) -> TLSSecret? {
        tlsSecrets["\(namespace)/\(name)"]
    }

    /// Every VirtualService bound to the gateway `namespace/name` through its `gateways` field, ordered by namespace
    /// then name.
    public func virtualServices(boundTo gateway: String) -> [VirtualService] {
        var seen: Set<ResourceKey> = []
        var result: [VirtualService] = []
        for list in virtualServicesByHost.values {
            for service in list
            where service.gateways.contains(where: {
                Self.resolveGatewayName($0, namespace: service.meta.namespace) == gateway
            }) {
                let key = ResourceKey(kind: .virtualService, namespace: service.meta.namespace, name: service.meta.name)
                if seen.insert(key).inserted { result.append(service) }
            }
        }
        return result.sorted { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }
    }

    /// A VirtualService's `gateways` entry as `namespace/name`, as Istio resolves it: `ns/name` as is (`./name` in
    /// the VirtualService's namespace), a short `name` in the VirtualService's namespace, and the legacy
    /// `name.namespace[.svc.cluster.local]` form. `mesh` stays `mesh`.
    public static func resolveGatewayName(_ name: String, namespace: String) -> String {
        if name == "mesh" { return name }
        if let slash = name.firstIndex(of: "/") {
            let prefix = name[..<slash]
            return prefix == "." ? "\(namespace)/\(name[name.index(after: slash)...])" : name
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return "\(namespace)/\(name)" }
        return "\(parts[1])/\(parts[0])"
    }
}
