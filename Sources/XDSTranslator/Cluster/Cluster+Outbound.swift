import EnvoyAPI
import MeshModel

extension Envoy_Config_Cluster_V3_Cluster {
    /// The Envoy cluster for one outbound plan: discovery type, the DestinationRule's traffic policy (in istiod's
    /// order: connection pool, HTTP/2 upgrade, outlier detection, load balancer) and the upstream protocol.
    /// TLS is added by `UpstreamTLS`; `originatingTLS` is the rule's SIMPLE or MUTUAL `tls` when it originates TLS
    /// (then, without `sni`, Envoy takes SNI and SAN validation from the request's host, as istiod sets it).
    static func outbound(
        _ plan: OutboundClusterPlan, _ snapshot: MeshSnapshot, originatingTLS: ClientTLSSettings? = nil,
        client: LocalityBalancing.Client = LocalityBalancing.Client()
    )
        -> Self
    {
        var cluster = Self()
        cluster.name = plan.name
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
            cluster.loadAssignment = dnsLoadAssignment(plan, snapshot, client: client)
        case .originalDestination:
            cluster.type = .originalDst
        }
        let policy = plan.policy
        var options = UpstreamHTTPOptions(protocol: plan.port.protocol)
        cluster.applyConnectionPool(policy?.connectionPool, options: &options)
        // h2UpgradePolicy: UPGRADE makes the cluster HTTP/2; DO_NOT_UPGRADE and DEFAULT keep the port's protocol
        // (the mesh default is DO_NOT_UPGRADE).
        if policy?.connectionPool?.http?.h2UpgradePolicy == .upgrade { options.http2 = true }
        cluster.applyOutlierDetection(policy?.outlierDetection)
        cluster.applyLoadBalancer(policy?.loadBalancer, discovery: plan.discovery)
        // `distribute` weights localities (every group of the assignment carries a weight); istiod sets this
        // whenever the setting in force distributes, whether or not the client's locality is one it names. A DNS
        // cluster's inline hosts are weighted only when they are the service's endpoints (not one LOGICAL_DNS host).
        let weightedHosts =
            plan.discovery == .eds
            || (plan.discovery == .strictDNS && !cluster.loadAssignment.endpoints.isEmpty
                && cluster.loadAssignment.endpoints.allSatisfy(\.hasLoadBalancingWeight))
        if weightedHosts, let setting = LocalityBalancing.setting(for: plan, mesh: snapshot.meshConfig)?.setting,
            !setting.distribute.isEmpty
        {
            cluster.commonLbConfig.localityWeightedLbConfig = Envoy_Config_Cluster_V3_Cluster.CommonLbConfig
                .LocalityWeightedLbConfig()
        }
        if let tls = originatingTLS, tls.sni == nil {
            options.upstream.autoSni = true
            options.upstream.autoSanValidation = tls.subjectAltNames.isEmpty && !tls.insecureSkipVerify
        }
        cluster.setHTTPOptions(options)
        return cluster
    }

    /// DNS clusters carry their hosts inline: the endpoints' addresses, or the service host itself on the
    /// service port when the service lists no endpoints. LOGICAL_DNS takes exactly one host (Envoy rejects more).
    private static func dnsLoadAssignment(
        _ plan: OutboundClusterPlan, _ snapshot: MeshSnapshot, client: LocalityBalancing.Client
    )
        -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment
    {
        let serviceHasEndpoints = !snapshot.endpoints(hostname: plan.service.hostname, port: plan.port.port).isEmpty
        var hosts: [LocalityEndpoints.Host]
        if serviceHasEndpoints, plan.discovery == .strictDNS {
            // Each endpoint a host of its own locality, shaped by the locality settings as EDS assignments are.
            return LocalityBalancing.loadAssignment(
                plan, endpoints: plan.endpoints(in: snapshot), mesh: snapshot.meshConfig, client: client)
        }
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
