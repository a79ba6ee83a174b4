import MeshModel

/// A port on which the proxy's own workload serves a service: the target of the virtualInbound listener.
struct InboundPort: Sendable, Hashable {
    /// The port on the workload (the service's target port).
    let port: Int
    let `protocol`: ServiceProtocol

    /// The inbound ports of the proxy, sorted by port. The proxy's workload is a registry workload whose address
    /// is one of the proxy's IPs; a port is inbound when a service lists that address among its endpoints.
    /// When several services map to one target port, the first by hostname and service port decides the
    /// protocol.
    static func all(in context: GenerationContext) -> [InboundPort] {
        let proxyIPs = Set(context.proxy.ipAddresses)
        let ownAddresses = Set(context.snapshot.workloads.map(\.address).filter { proxyIPs.contains($0) })
        guard !ownAddresses.isEmpty else { return [] }
        var byPort: [Int: InboundPort] = [:]
        for service in context.snapshot.services {
            for servicePort in service.ports.sorted(by: { $0.port < $1.port }) {
                for endpoint in context.snapshot.endpoints(hostname: service.hostname, port: servicePort.port)
                where ownAddresses.contains(endpoint.address) && byPort[endpoint.port] == nil {
                    byPort[endpoint.port] = InboundPort(port: endpoint.port, protocol: servicePort.protocol)
                }
            }
        }
        return byPort.values.sorted { $0.port < $1.port }
    }
}
