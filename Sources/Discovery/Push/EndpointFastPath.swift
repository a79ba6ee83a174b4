public import MeshModel

/// The rule that lets an endpoint-only change skip CDS, LDS and RDS.
///
/// An endpoint change (Pods, WorkloadEntries) reaches those types in only three ways, read from the
/// translator:
/// 1. auto-mTLS in CDS: whether every endpoint of a cluster runs a sidecar that accepts mutual TLS (sidecar
///    flag, namespace, labels, target port) and the SPIFFE identities of its endpoints (service accounts);
/// 2. DNS clusters (ServiceEntry resolution DNS) carry their endpoints inline in CDS;
/// 3. a proxy's own workload: its inbound ports (CDS inbound clusters, LDS virtualInbound) and the labels
///    PeerAuthentication matches.
/// (1) and (2) are global: `allows(from:to:)` compares them and refuses the fast path when they differ.
/// (3) is per proxy and part of its `ProxyView`: a proxy whose view changed gets a full push instead
/// (`MeshResourceProvider.pushScope`). Everything else the three types read is config, which an
/// endpoint-only change does not touch.
public enum EndpointFastPath {
    /// What CDS reads of one endpoint of an EDS service: not its address, weight or locality.
    private struct ClusterFacingEndpoint: Hashable {
        var port: Int
        var namespace: String
        var serviceAccount: String?
        var hasSidecar: Bool
        var labels: [String: String]
    }

    /// True when CDS cannot differ between the two snapshots for any proxy whose view is unchanged.
    public static func allows(from old: MeshSnapshot, to new: MeshSnapshot) -> Bool {
        guard old.services == new.services else { return false }
        for service in new.services {
            for port in service.ports {
                let before = old.endpoints(hostname: service.hostname, port: port.port)
                let after = new.endpoints(hostname: service.hostname, port: port.port)
                if service.resolution == .endpoints {
                    guard Set(before.map(facing)) == Set(after.map(facing)) else { return false }
                } else {
                    guard before == after else { return false }
                }
            }
        }
        return true
    }

    /// The hostnames of services whose endpoints (on any of their ports) differ between the two snapshots: the only
    /// EDS assignments an endpoint-only change alters.
    public static func changedHostnames(from old: MeshSnapshot, to new: MeshSnapshot) -> Set<String> {
        var changed = Set<String>()
        for service in new.services {
            for port in service.ports
            where old.endpoints(hostname: service.hostname, port: port.port) != new.endpoints(hostname: service.hostname, port: port.port) {
                changed.insert(service.hostname)
                break
            }
        }
        return changed
    }

    private static func facing(_ endpoint: MeshEndpoint) -> ClusterFacingEndpoint {
        ClusterFacingEndpoint(
            port: endpoint.port, namespace: endpoint.namespace, serviceAccount: endpoint.serviceAccount, hasSidecar: endpoint.hasSidecar,
            labels: endpoint.labels)
    }
}
