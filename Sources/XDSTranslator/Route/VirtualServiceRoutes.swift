import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// Translates the `http` routes of one VirtualService for one route-configuration port.
///
/// Route names: each match block becomes its own Envoy route (Envoy has no OR), named
/// `<http.name>.<match.name>` when both are set, else whichever is set, else unnamed.
struct VirtualServiceRoutes {
    let snapshot: MeshSnapshot
    let virtualService: VirtualService
    /// The port of the route configuration being built: the fallback destination port.
    let port: Int

    /// The Envoy routes in the VirtualService's order. HTTP routes without a destination are skipped.
    func routes() -> [Envoy_Config_Route_V3_Route] {
        virtualService.http.flatMap { http -> [Envoy_Config_Route_V3_Route] in
            guard let action = action(http.route) else { return [] }
            let blocks: [HTTPMatchRequest?] = http.match.isEmpty ? [nil] : http.match
            return blocks.map { block in
                var route = Envoy_Config_Route_V3_Route()
                route.name = [http.name, block?.name].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ".")
                route.match = RouteMatchTranslation.match(block)
                route.route = action
                return route
            }
        }
    }

    /// One destination gives `cluster`; several give `weighted_clusters` with the weights as written.
    /// Destinations with weight 0 receive nothing and are left out (unless all are 0).
    private func action(_ destinations: [HTTPRouteDestination]) -> Envoy_Config_Route_V3_RouteAction? {
        let weighted = destinations.filter { $0.weight > 0 }
        let chosen = weighted.isEmpty ? Array(destinations.prefix(1)) : weighted
        guard let first = chosen.first else { return nil }
        if chosen.count == 1 { return RouteBuilder.action(.cluster(clusterName(first.destination))) }
        var clusters = Envoy_Config_Route_V3_WeightedCluster()
        clusters.clusters = chosen.map { destination in
            var cluster = Envoy_Config_Route_V3_WeightedCluster.ClusterWeight()
            cluster.name = clusterName(destination.destination)
            cluster.weight = ProtoValues.uint32(destination.weight)
            return cluster
        }
        return RouteBuilder.action(.weightedClusters(clusters))
    }

    /// `outbound|<port>|<subset>|<fqdn>`. The port is the destination's, else the destination service's only
    /// port, else this route configuration's port. An unknown subset still names its cluster: Envoy answers
    /// 503 for it, which is what an operator expects from a typo in a subset.
    func clusterName(_ destination: Destination) -> String {
        let hostname = Hostname.resolve(destination.host, namespace: virtualService.meta.namespace)
        let servicePorts = snapshot.servicesByHostname[hostname]?.ports ?? []
        let destinationPort = destination.port ?? (servicePorts.count == 1 ? servicePorts[0].port : port)
        return ClusterName.outbound(port: destinationPort, subset: destination.subset, hostname: hostname)
    }
}
