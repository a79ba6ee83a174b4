public import EnvoyAPI

/// What the xDS server asks of the rest of the control plane: who a proxy is, and what it should have.
///
/// Called concurrently from every stream; implementations must be thread-safe and must not block.
public protocol ResourceProvider: Sendable {
    /// What the provider needs to remember about one admitted proxy.
    associatedtype Client: Sendable

    /// Admits a proxy from the `Node` of its first request. Throw to refuse the stream; the error's text
    /// is sent to the proxy.
    func admit(node: Envoy_Config_Core_V3_Node) throws -> Client

    /// Every resource of `type` that `client` should see now. The server filters by subscription for
    /// non-wildcard types. Must return the same resources for the same mesh state.
    func resources(_ type: XDSType, for client: Client) async -> [XDSResource]

    /// A short label for logs and status pages (usually the node id).
    func describe(_ client: Client) -> String
}
