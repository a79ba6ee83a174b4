public import MeshModel

/// A port on which the proxy's own workload serves a service: the target of the virtualInbound listener and of
/// an inbound cluster. Derived once per proxy by `ProxyInputsIndex` (cluster and listener inputs carry them).
public struct InboundPort: Sendable, Hashable {
    /// The port on the workload (the service's target port).
    public let port: Int
    public let `protocol`: ServiceProtocol

    public init(port: Int, protocol: ServiceProtocol) {
        self.port = port
        self.protocol = `protocol`
    }
}
