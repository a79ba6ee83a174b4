extension MeshSnapshot {
    /// The Telemetry objects that configure a workload with `labels` in `namespace`, least specific first, as istiod
    /// picks them: the root namespace's selector-less one (mesh-wide), the namespace's selector-less one, and the
    /// namespace's first (by name) whose selector matches `labels`. A Telemetry with target refs only selects
    /// waypoints and Gateway API gateways, which meshd does not serve. In the root namespace the mesh-wide object is
    /// also the namespace's, and counts once.
    public func telemetries(namespace: String, labels: [String: String]) -> [Telemetry] {
        let root = meshConfig.rootNamespace
        var levels: [Telemetry] = []
        let scoped = { (telemetry: Telemetry) in telemetry.selector == nil && telemetry.targetRefs.isEmpty }
        if let meshWide = (telemetries[root] ?? []).first(where: scoped) { levels.append(meshWide) }
        let local = telemetries[namespace] ?? []
        if namespace != root, let namespaceWide = local.first(where: scoped) { levels.append(namespaceWide) }
        if let workload = local.first(where: { telemetry in
            guard let selector = telemetry.selector else { return false }
            return selector.allSatisfy { labels[$0.key] == $0.value }
        }) {
            levels.append(workload)
        }
        return levels
    }

    /// Telemetries by namespace, each list ordered by name.
    static func index(_ telemetries: [Telemetry]) -> [String: [Telemetry]] {
        var result: [String: [Telemetry]] = [:]
        for telemetry in telemetries.sorted(by: {
            ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name)
        }) {
            result[telemetry.meta.namespace, default: []].append(telemetry)
        }
        return result
    }
}
