import EnvoyAPI
import MeshModel

extension Envoy_Config_Cluster_V3_Cluster {
    /// The inbound clusters of a proxy: one per port of its own workload's services, or, when its Sidecar declares
    /// `ingress` listeners, one per listener that sends to the listener's `defaultEndpoint`.
    static func inboundClusters(_ context: GenerationContext<ClusterInputs>) -> [Self] {
        guard let ingress = context.sidecarScope.ingress else {
            return context.inputs.inbound.map(Self.inbound)
        }
        return ingress.compactMap { listener in
            guard let port = listener.port else { return nil }
            return sidecarIngress(
                port, defaultEndpoint: listener.defaultEndpoint, workloadAddress: context.inputs.ingressWorkloadAddress)
        }
    }

    /// `inbound|<port>||` for a Sidecar ingress listener. `127.0.0.1:P` / `[::1]:P` / `unix://path` make a STATIC
    /// cluster to that address; `0.0.0.0:P` / `[::]:P` send to the workload's own IP on P; without a default
    /// endpoint the cluster is ORIGINAL_DST (the port the client dialled), like a derived inbound cluster.
    static func sidecarIngress(_ port: SidecarPort, defaultEndpoint: String?, workloadAddress: String?) -> Self {
        let inboundPort = InboundPort(
            port: port.number, protocol: ServiceProtocol.serviceEntry(port.protocol))
        guard let address = ingressAddress(defaultEndpoint, workloadAddress: workloadAddress) else {
            return inbound(inboundPort)
        }
        var cluster = Self()
        cluster.name = ClusterName.inbound(port: port.number)
        cluster.type = .static
        cluster.connectTimeout = ProtoValues.connectTimeout
        cluster.applyUpstreamProtocol(inboundPort.protocol)
        var endpoint = Envoy_Config_Endpoint_V3_Endpoint()
        endpoint.address = address
        var lbEndpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
        lbEndpoint.endpoint = endpoint
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        locality.lbEndpoints = [lbEndpoint]
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = cluster.name
        assignment.endpoints = [locality]
        cluster.loadAssignment = assignment
        return cluster
    }

    /// The upstream address of a `defaultEndpoint`; nil when there is none (ORIGINAL_DST). The workload's own
    /// address is the proxy's first IP (`ClusterInputs.ingressWorkloadAddress`).
    private static func ingressAddress(
        _ defaultEndpoint: String?, workloadAddress: String?
    )
        -> Envoy_Config_Core_V3_Address?
    {
        switch SidecarIngressEndpoint(defaultEndpoint) {
        case .originalDestination:
            return nil
        case .pipe(let path):
            var pipe = Envoy_Config_Core_V3_Pipe()
            pipe.path = path
            var address = Envoy_Config_Core_V3_Address()
            address.pipe = pipe
            return address
        case .socket(let host, let port):
            return ProtoValues.socketAddress(host, port: port)
        case .workload(let port):
            return ProtoValues.socketAddress(workloadAddress ?? "127.0.0.1", port: port)
        }
    }
}
