/// Istio `PeerAuthentication` (`security.istio.io`): whether workloads accept plaintext, mutual TLS, or both.
///
/// Scope follows from where it lives: in the root namespace without a selector it is mesh-wide, elsewhere
/// without a selector it covers its namespace, and with `selector.matchLabels` it covers the matching workloads
/// of its namespace. `portLevelMtls` overrides the mode per workload port and requires a selector.
public struct PeerAuthentication: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `selector.matchLabels`; nil when the policy has no selector (namespace or mesh scope).
    public var selector: [String: String]?
    /// `mtls.mode`; nil when `mtls` is absent, which means the same as UNSET.
    public var mode: MutualTLSMode?
    /// `portLevelMtls`: workload (target) port -> mode.
    public var portLevelModes: [Int: MutualTLSMode]

    public init(
        meta: ObjectMeta, selector: [String: String]? = nil, mode: MutualTLSMode? = nil,
        portLevelModes: [Int: MutualTLSMode] = [:]
    ) {
        self.meta = meta
        self.selector = selector
        self.mode = mode
        self.portLevelModes = portLevelModes
    }

    /// True when the policy applies to a workload with `labels` in `namespace`, ignoring the root-namespace rule.
    public func selects(namespace: String, labels: [String: String]) -> Bool {
        guard meta.namespace == namespace else { return false }
        guard let selector else { return true }
        return selector.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// `mtls.mode` of a PeerAuthentication. UNSET inherits from the next wider scope.
public enum MutualTLSMode: String, Sendable, Hashable, CaseIterable {
    case unset = "UNSET"
    case disable = "DISABLE"
    case permissive = "PERMISSIVE"
    case strict = "STRICT"
}

/// Mesh-wide settings that Istio keeps in its mesh config and meshd fixes for now.
public enum MeshDefaults {
    /// The namespace whose selector-less policies apply to the whole mesh (Istio's `rootNamespace`).
    public static let rootNamespace = "istio-system"
    /// The trust domain of workload identities.
    public static let trustDomain = "cluster.local"
}
