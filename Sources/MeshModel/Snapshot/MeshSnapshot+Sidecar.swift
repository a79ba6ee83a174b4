extension MeshSnapshot {
    /// The Sidecar that configures a sidecar proxy with `labels` in `namespace`, chosen as istiod chooses it: the
    /// first (by name; istiod takes the oldest) Sidecar of the namespace whose `workloadSelector` matches, else the
    /// namespace's Sidecar without a selector, else the root namespace's Sidecar without a selector (the mesh
    /// default). Nil when none applies: the proxy then imports everything.
    public func sidecar(forNamespace namespace: String, labels: [String: String]) -> Sidecar? {
        Self.sidecar(
            in: sidecarsByNamespace, namespace: namespace, labels: labels, rootNamespace: meshConfig.rootNamespace)
    }

    /// `sidecar(forNamespace:labels:)` over an index of Sidecars by namespace (each list ordered by name).
    public static func sidecar(
        in sidecarsByNamespace: [String: [Sidecar]], namespace: String, labels: [String: String],
        rootNamespace: String = MeshDefaults.rootNamespace
    )
        -> Sidecar?
    {
        let local = sidecarsByNamespace[namespace] ?? []
        if let selected = local.first(where: {
            $0.workloadSelector != nil && $0.selects(labels: labels)
        }) {
            return selected
        }
        if let namespaceDefault = local.first(where: { $0.workloadSelector == nil }) {
            return namespaceDefault
        }
        return (sidecarsByNamespace[rootNamespace] ?? []).first {
            $0.workloadSelector == nil
        }
    }

    /// Sidecars by namespace, each list ordered by name.
    static func index(_ sidecars: [Sidecar]) -> [String: [Sidecar]] {
        var result: [String: [Sidecar]] = [:]
        for sidecar in sidecars.sorted(by: {
            ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name)
        }) {
            result[sidecar.meta.namespace, default: []].append(sidecar)
        }
        return result
    }
}
