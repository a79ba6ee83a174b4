import MeshModel

extension ClusterGenerator {
    /// What a cluster reads of one endpoint of an EDS service (auto-mTLS: whether it runs a sidecar that accepts
    /// mutual TLS, and its SPIFFE identity): not its address, weight or locality.
    private struct ClusterFacingEndpoint: Hashable {
        var port: Int
        var namespace: String
        var serviceAccount: String?
        var hasSidecar: Bool
        var labels: [String: String]
    }

    /// Whether an endpoint change between `old` and `new` can alter CDS for a proxy whose inputs are unchanged.
    /// Clusters read endpoints in two ways: auto-mTLS facts of EDS services' endpoints, and DNS (and static)
    /// clusters, which carry their endpoints inline. `hostnames` are the services whose endpoints changed; only
    /// they are compared. A proxy's own workload reaches CDS through its inputs (`ClusterInputs.inbound`).
    static func endpointsChangeClusters(from old: MeshSnapshot, to new: MeshSnapshot, hostnames: Set<String>) -> Bool {
        for hostname in hostnames {
            guard let service = new.servicesByHostname[hostname] else {
                if old.servicesByHostname[hostname] != nil { return true }
                continue
            }
            guard old.servicesByHostname[hostname] == service else { return true }
            for port in service.ports {
                let before = old.endpoints(hostname: hostname, port: port.port)
                let after = new.endpoints(hostname: hostname, port: port.port)
                if service.resolution == .endpoints {
                    guard Set(before.map(Self.facing)) == Set(after.map(Self.facing)) else { return true }
                } else {
                    guard before == after else { return true }
                }
            }
        }
        return false
    }

    private static func facing(_ endpoint: MeshEndpoint) -> ClusterFacingEndpoint {
        ClusterFacingEndpoint(
            port: endpoint.port, namespace: endpoint.namespace, serviceAccount: endpoint.serviceAccount,
            hasSidecar: endpoint.hasSidecar, labels: endpoint.labels)
    }
}
