public import MeshModel

/// Mesh-wide settings of the translation that Istio keeps in its mesh config. The same for every proxy of a
/// process, so they are not part of any proxy's view.
public struct TranslatorSettings: Sendable, Hashable {
    /// `outboundTrafficPolicy.mode` of the mesh config: what happens to traffic to destinations no service
    /// describes, unless the proxy's Sidecar says otherwise. Istio's default is ALLOW_ANY.
    public var outboundTrafficPolicy: OutboundTrafficPolicyMode

    public init(outboundTrafficPolicy: OutboundTrafficPolicyMode = .allowAny) {
        self.outboundTrafficPolicy = outboundTrafficPolicy
    }
}
