import EnvoyAPI
import MeshModel

extension Envoy_Config_Cluster_V3_Cluster {
    /// The inbound clusters of a proxy: one per port of its own workload's services, or, when its Sidecar declares
    /// `ingress` listeners, one per listener that sends to the listener's `defaultEndpoint`.
    static func inboundClusters(_ context: GenerationContext) -> [Self] {
        guard let ingress = context.sidecarScope.ingress else {
            return InboundPort.all(in: context).map(Self.inbound)
        }
        return ingress.compactMap { listener in
            guard let port = listener.port else { return nil }
            return sidecarIngress(port, defaultEndpoint: listener.defaultEndpoint, proxy: context.proxy)
        }
    }

    /// `inbound|<port>||` for a Sidecar ingress listener. `127.0.0.1:P` / `[::1]:P` / `unix://path` make a STATIC
    /// cluster to that address; `0.0.0.0:P` / `[::]:P` send to the workload's own IP on P; without a default
    /// endpoint the cluster is ORIGINAL_DST (the port the client dialled), like a derived inbound cluster.
    static func sidecarIngress(_ port: SidecarPort, defaultEndpoint: String?, proxy: Proxy) -> Self {
        let inboundPort = InboundPort(
            port: port.number, protocol: ServiceProtocol.serviceEntry(port.protocol))
        guard let address = ingressAddress(defaultEndpoint, proxy: proxy) else {
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

    /// The upstream address of a `defaultEndpoint`; nil when there is none (validation refused any other form).
    private static func ingressAddress(_ defaultEndpoint: String?, proxy: Proxy)
        -> Envoy_Config_Core_V3_Address?
    {
        guard let text = defaultEndpoint, !text.isEmpty else { return nil }
        if text.hasPrefix("unix://") {
            var pipe = Envoy_Config_Core_V3_Pipe()
            pipe.path = String(text.dropFirst("unix://".count))
            var address = Envoy_Config_Core_V3_Address()
            address.pipe = pipe
            return address
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...])
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty || host == "0.0.0.0" || host == "::" {
            host = proxy.ipAddresses.first ?? "127.0.0.1"
        }
        return ProtoValues.socketAddress(host, port: port)
    }
}
