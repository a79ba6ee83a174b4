public import MeshModel

/// An admitted proxy: its parsed identity.
public struct ProxyClient: Sendable, Hashable {
    public let proxy: Proxy
}
