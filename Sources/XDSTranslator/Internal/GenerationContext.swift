import MeshModel

/// The inputs of one generation: the snapshot, the proxy it is for, and the proxy's own key material (for SDS).
/// A value; generators share nothing else.
struct GenerationContext: Sendable {
    let snapshot: MeshSnapshot
    let proxy: Proxy
    var secrets: ProxySecrets? = nil
    /// What the proxy's Sidecar lets it import, and its outbound traffic policy (see `SidecarScope`).
    var sidecarScope: SidecarScope = .everything

    /// The DestinationRule that applies to `hostname` for this proxy's namespace.
    func destinationRule(for hostname: String) -> DestinationRule? {
        snapshot.destinationRule(for: hostname, clientNamespace: proxy.namespace)
    }
}
