import MeshModel

/// The inputs of one generation: the snapshot, and what the generator may read of the proxy it generates for
/// (`ProxyInputs`; each type's generator has its own). A value; generators share nothing else.
struct GenerationContext<Inputs: ProxyInputs>: Sendable {
    let snapshot: MeshSnapshot
    let inputs: Inputs
    /// What the proxy's Sidecar lets it import, and its outbound traffic policy (see `SidecarScope`).
    let sidecarScope: SidecarScope

    init(snapshot: MeshSnapshot, inputs: Inputs, settings: TranslatorSettings) {
        self.snapshot = snapshot
        self.inputs = inputs
        sidecarScope = SidecarScope(snapshot: snapshot, inputs: inputs, settings: settings)
    }

    /// The DestinationRule that applies to `hostname` for this proxy's namespace.
    func destinationRule(for hostname: String) -> DestinationRule? {
        snapshot.destinationRule(for: hostname, clientNamespace: inputs.namespace)
    }
}
