extension MeshSnapshot {
    /// The ProxyConfigs that configure a workload with `labels` in `namespace`, least specific first, as istiod's
    /// `EffectiveProxyConfig` picks them: the root namespace's first selector-less one (mesh-wide), the namespace's
    /// first selector-less one (not again for the root namespace), and the namespace's first whose non-empty selector
    /// matches `labels`. "First" is by name here (istiod: by creation time, which files do not have).
    public func proxyConfigs(namespace: String, labels: [String: String]) -> [ProxyConfig] {
        let root = meshConfig.rootNamespace
        var levels: [ProxyConfig] = []
        if let meshWide = (proxyConfigs[root] ?? []).first(where: { $0.selector == nil }) { levels.append(meshWide) }
        let local = proxyConfigs[namespace] ?? []
        if namespace != root, let namespaceWide = local.first(where: { $0.selector == nil }) {
            levels.append(namespaceWide)
        }
        if let workload = local.first(where: { config in
            guard let selector = config.selector, !selector.isEmpty else { return false }
            return selector.allSatisfy { labels[$0.key] == $0.value }
        }) {
            levels.append(workload)
        }
        return levels
    }

    /// The effective proxy settings of a workload with `labels` in `namespace`: istiod's defaults, then the mesh
    /// config's `defaultConfig`, then the ProxyConfig levels (`proxyConfigs(namespace:labels:)`), each set field of
    /// a more specific level winning.
    public func proxySettings(namespace: String, labels: [String: String]) -> ProxySettings {
        var settings = ProxySettings.istioDefaults.overridden(by: meshConfig.defaultConfig)
        for level in proxyConfigs(namespace: namespace, labels: labels) {
            settings = settings.overridden(by: level.settings)
        }
        return settings
    }

    /// The WorkloadGroup `name` of `namespace`, if the configuration has it.
    public func workloadGroup(namespace: String, name: String) -> WorkloadGroup? {
        (workloadGroups[namespace] ?? []).first { $0.meta.name == name }
    }

    /// ProxyConfigs by namespace, each list ordered by name.
    static func index(_ configs: [ProxyConfig]) -> [String: [ProxyConfig]] {
        Dictionary(grouping: configs, by: \.meta.namespace).mapValues { $0.sorted { $0.meta.name < $1.meta.name } }
    }

    /// WorkloadGroups by namespace, each list ordered by name.
    static func index(_ groups: [WorkloadGroup]) -> [String: [WorkloadGroup]] {
        Dictionary(grouping: groups, by: \.meta.namespace).mapValues { $0.sorted { $0.meta.name < $1.meta.name } }
    }
}
