import MeshModel

/// The inputs of one generation: the snapshot and the proxy it is for. A value; generators share nothing else.
struct GenerationContext: Sendable {
    let snapshot: MeshSnapshot
    let proxy: Proxy

    /// The DestinationRule that applies to `hostname` for this proxy's namespace.
    func destinationRule(for hostname: String) -> DestinationRule? {
        snapshot.destinationRule(for: hostname, clientNamespace: proxy.namespace)
    }
}
