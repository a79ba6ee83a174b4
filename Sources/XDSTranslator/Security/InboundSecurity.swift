import EnvoyAPI
import MeshModel

/// What the inbound listener needs to know to terminate mutual TLS for the proxy's own workload: the modes
/// PeerAuthentication resolves to, and the trust domain peers must belong to.
struct InboundSecurity: Sendable {
    let modes: EffectiveMutualTLS
    let trustDomain: String
    /// The PeerAuthentications the modes were resolved from.
    let sources: [ResourceKey]

    /// Nil for a proxy without an identity: it has no certificate, so its inbound stays plaintext.
    static func of(_ context: GenerationContext<ListenerInputs>) -> InboundSecurity? {
        guard let trustDomain = context.inputs.trustDomain else { return nil }
        let labels = context.inputs.workloadLabels
        let modes = context.snapshot.effectiveMutualTLS(namespace: context.inputs.namespace, labels: labels)
        let policies = context.snapshot.peerAuthentications(applyingTo: context.inputs.namespace, labels: labels)
        return InboundSecurity(modes: modes, trustDomain: trustDomain, sources: policies.map(\.sourceKey))
    }

    /// Whether port `port` accepts mutual TLS and whether it accepts plaintext.
    func accepts(port: Int) -> (mutualTLS: Bool, plaintext: Bool) {
        switch modes.mode(forPort: port) {
        case .strict: (true, false)
        case .disable: (false, true)
        case .permissive, .unset: (true, true)
        }
    }
}
