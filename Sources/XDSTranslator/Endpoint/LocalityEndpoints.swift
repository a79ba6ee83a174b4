import EnvoyAPI
import MeshModel

/// Builds `ClusterLoadAssignment`s: hosts grouped by locality, in a stable order.
enum LocalityEndpoints {
    /// One upstream host as Envoy will see it.
    struct Host: Sendable, Hashable {
        var address: String
        var port: Int
        /// Istio's `region/zone/subzone`; nil or empty means no locality.
        var locality: String? = nil
        var weight: Int? = nil

        init(address: String, port: Int, locality: String? = nil, weight: Int? = nil) {
            self.address = address
            self.port = port
            self.locality = locality
            self.weight = weight
        }

        init(_ endpoint: MeshEndpoint) {
            self.init(
                address: endpoint.address, port: endpoint.port, locality: endpoint.locality, weight: endpoint.weight)
        }
    }

    /// Hosts by address then port, without duplicates of one address and port (two workloads cannot share one).
    static func sorted(_ hosts: [Host]) -> [Host] {
        var seen = Set<String>()
        return
            hosts
            .sorted { ($0.address, $0.port, $0.locality ?? "") < ($1.address, $1.port, $1.locality ?? "") }
            .filter { seen.insert("\($0.address):\($0.port)").inserted }
    }

    /// A load assignment for `clusterName`, one `LocalityLbEndpoints` per locality (sorted; no locality first).
    /// Every host is HEALTHY: the registry only lists ready workloads.
    static func loadAssignment(clusterName: String, hosts: [Host]) -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = clusterName
        let groups = Dictionary(grouping: sorted(hosts), by: { $0.locality ?? "" })
        assignment.endpoints = groups.keys.sorted().map { group(locality: $0, hosts: groups[$0] ?? []) }
        return assignment
    }

    /// One `LocalityLbEndpoints`: `hosts` (sorted, without duplicates) in `locality` (`region/zone/subzone`).
    static func group(locality key: String, hosts: [Host]) -> Envoy_Config_Endpoint_V3_LocalityLbEndpoints {
        var group = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        if let locality = locality(key) { group.locality = locality }
        group.lbEndpoints = fittingWeights(hosts).map(lbEndpoint)
        return group
    }

    /// Envoy refuses a locality whose lb weights sum past 4294967295, which Pods, WorkloadEntries and
    /// ServiceEntry endpoints of one service can reach together (each alone may be up to that). When they do,
    /// every host's weight (1 when unset) is scaled down in proportion, rounding down to at least 1; the scale
    /// target leaves room for those rounded up, so the sum always fits. Below the limit nothing changes.
    static func fittingWeights(_ hosts: [Host]) -> [Host] {
        let limit = UInt64(UInt32.max)
        let weights = hosts.map { UInt64(min(max($0.weight ?? 1, 1), Int(UInt32.max))) }
        let sum = weights.reduce(0, +)
        guard sum > limit, UInt64(hosts.count) < limit else { return hosts }
        let target = limit - UInt64(hosts.count)
        return zip(hosts, weights).map { host, weight in
            var scaled = host
            // weight and target are below 2^32, so their product fits in 64 bits.
            scaled.weight = Int(max(weight * target / sum, 1))
            return scaled
        }
    }

    private static func lbEndpoint(_ host: Host) -> Envoy_Config_Endpoint_V3_LbEndpoint {
        var endpoint = Envoy_Config_Endpoint_V3_Endpoint()
        endpoint.address = ProtoValues.socketAddress(host.address, port: host.port)
        var lbEndpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
        lbEndpoint.endpoint = endpoint
        lbEndpoint.healthStatus = .healthy
        if let weight = host.weight, weight > 0 {
            lbEndpoint.loadBalancingWeight = ProtoValues.uint32(weight)
        }
        return lbEndpoint
    }

    /// Parses `region/zone/subzone` (any suffix may be missing). Empty means no locality at all.
    static func locality(_ text: String) -> Envoy_Config_Core_V3_Locality? {
        guard !text.isEmpty else { return nil }
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        var locality = Envoy_Config_Core_V3_Locality()
        locality.region = parts.count > 0 ? parts[0] : ""
        locality.zone = parts.count > 1 ? parts[1] : ""
        locality.subZone = parts.count > 2 ? parts[2] : ""
        return locality
    }
}
