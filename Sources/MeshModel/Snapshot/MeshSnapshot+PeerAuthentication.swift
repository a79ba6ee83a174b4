/// The mutual TLS modes in force for one workload, after inheritance: never UNSET.
public struct EffectiveMutualTLS: Sendable, Hashable {
    /// The workload-wide mode.
    public var mode: MutualTLSMode
    /// Ports whose mode differs from `mode` (from `portLevelMtls`), by workload port.
    public var portModes: [Int: MutualTLSMode]

    public init(mode: MutualTLSMode, portModes: [Int: MutualTLSMode] = [:]) {
        self.mode = mode
        self.portModes = portModes
    }

    /// The mode on workload port `port`.
    public func mode(forPort port: Int) -> MutualTLSMode { portModes[port] ?? mode }
}

extension MeshSnapshot {
    /// The PeerAuthentication modes for a workload with `labels` in `namespace`, resolved as istiod resolves them:
    /// the oldest matching workload policy (here: first by name), then the namespace policy, then the mesh-wide
    /// policy of the root namespace; an UNSET or absent mode at one level inherits from the next. With nothing
    /// set anywhere the mode is PERMISSIVE. Port-level modes only come from the workload policy; an UNSET port
    /// inherits the workload's resolved mode.
    public func effectiveMutualTLS(namespace: String, labels: [String: String]) -> EffectiveMutualTLS {
        let (meshWide, namespaceWide, workload) = peerAuthenticationLevels(namespace: namespace, labels: labels)
        var mode = MutualTLSMode.permissive
        for policy in [meshWide, namespaceWide, workload] {
            if let set = policy?.mode, set != .unset { mode = set }
        }
        var ports: [Int: MutualTLSMode] = [:]
        for (port, portMode) in workload?.portLevelModes ?? [:] where portMode != .unset && portMode != mode {
            ports[port] = portMode
        }
        return EffectiveMutualTLS(mode: mode, portModes: ports)
    }

    /// The PeerAuthentications `effectiveMutualTLS(namespace:labels:)` reads for such a workload: the mesh-wide,
    /// namespace and workload policies that exist, in that order.
    public func peerAuthentications(applyingTo namespace: String, labels: [String: String]) -> [PeerAuthentication] {
        let (meshWide, namespaceWide, workload) = peerAuthenticationLevels(namespace: namespace, labels: labels)
        return [meshWide, namespaceWide, workload].compactMap { $0 }
    }

    private func peerAuthenticationLevels(
        namespace: String, labels: [String: String]
    )
        -> (meshWide: PeerAuthentication?, namespaceWide: PeerAuthentication?, workload: PeerAuthentication?)
    {
        let local = peerAuthentications[namespace] ?? []
        let workload = local.first { $0.selector != nil && $0.selects(namespace: namespace, labels: labels) }
        let namespaceWide = local.first { $0.selector == nil }
        let meshWide = (peerAuthentications[meshConfig.rootNamespace] ?? []).first { $0.selector == nil }
        return (meshWide, namespaceWide, workload)
    }

    /// PeerAuthentications by namespace, each list ordered by name.
    static func index(_ policies: [PeerAuthentication]) -> [String: [PeerAuthentication]] {
        var result: [String: [PeerAuthentication]] = [:]
        for policy in policies.sorted(by: { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }) {
            result[policy.meta.namespace, default: []].append(policy)
        }
        return result
    }
}
