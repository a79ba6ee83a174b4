import EnvoyAPI
import MeshModel

extension Envoy_Config_Cluster_V3_Cluster {
    /// The Envoy cluster for one outbound plan: discovery type, load balancer and upstream protocol.
    static func outbound(_ plan: OutboundClusterPlan, _ snapshot: MeshSnapshot) -> Self {
        var cluster = Self()
        cluster.name = plan.name
        cluster.connectTimeout = ProtoValues.connectTimeout
        switch plan.discovery {
        case .eds:
            cluster.type = .eds
            var eds = EdsClusterConfig()
            eds.edsConfig = ProtoValues.ads
            eds.serviceName = plan.name
            cluster.edsClusterConfig = eds
        case .strictDNS, .logicalDNS:
            cluster.type = plan.discovery == .strictDNS ? .strictDns : .logicalDns
            cluster.dnsLookupFamily = .v4Only
            cluster.loadAssignment = dnsLoadAssignment(plan, snapshot)
        case .originalDestination:
            cluster.type = .originalDst
        }
        cluster.lbPolicy = LoadBalancing.policy(plan.loadBalancer, discovery: plan.discovery)
        cluster.applyUpstreamProtocol(plan.port.protocol)
        return cluster
    }

    /// DNS clusters carry their hosts inline: the endpoints' addresses, or the service host itself on the
    /// service port when the service lists no endpoints. LOGICAL_DNS takes exactly one host (Envoy rejects more).
    private static func dnsLoadAssignment(_ plan: OutboundClusterPlan, _ snapshot: MeshSnapshot)
        -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment
    {
        let serviceHasEndpoints = !snapshot.endpoints(hostname: plan.service.hostname, port: plan.port.port).isEmpty
        var hosts: [LocalityEndpoints.Host]
        if serviceHasEndpoints {
            hosts = plan.endpoints(in: snapshot).map(LocalityEndpoints.Host.init)
        } else {
            hosts = [LocalityEndpoints.Host(address: plan.service.hostname, port: plan.port.port)]
        }
        if plan.discovery == .logicalDNS {
            hosts = Array(LocalityEndpoints.sorted(hosts).prefix(1))
        }
        return LocalityEndpoints.loadAssignment(clusterName: plan.name, hosts: hosts)
    }
}
