extension MeshSnapshot {
    /// The EnvoyFilters that apply to a proxy with `labels` in `namespace`, in the order istiod applies them: those of
    /// the root namespace and of the proxy's namespace whose workload selector (if any) the labels satisfy, sorted by
    /// priority, then root namespace first, then creation time, then `name.namespace`. A filter with target references
    /// applies to no proxy (as in istiod).
    public func envoyFilters(namespace: String, labels: [String: String]) -> [EnvoyFilter] {
        let root = meshConfig.rootNamespace
        var matched: [EnvoyFilter] = []
        func collect(_ namespace: String) {
            for filter in envoyFilters[namespace] ?? [] where filter.targetRefs.isEmpty {
                guard let selector = filter.workloadSelector else {
                    matched.append(filter)
                    continue
                }
                if selector.allSatisfy({ labels[$0.key] == $0.value }) { matched.append(filter) }
            }
        }
        collect(root)
        if namespace != root { collect(namespace) }
        return matched.sorted { lhs, rhs in
            if lhs.priority != rhs.priority { return lhs.priority < rhs.priority }
            if lhs.meta.namespace != rhs.meta.namespace, lhs.meta.namespace == root || rhs.meta.namespace == root {
                return lhs.meta.namespace == root
            }
            if lhs.creationTimestamp != rhs.creationTimestamp {
                // A filter without a timestamp sorts as created first (istiod's zero time).
                return (lhs.creationTimestamp ?? "") < (rhs.creationTimestamp ?? "")
            }
            return "\(lhs.meta.name).\(lhs.meta.namespace)" < "\(rhs.meta.name).\(rhs.meta.namespace)"
        }
    }

    /// EnvoyFilters by namespace, each list ordered by name.
    static func index(_ filters: [EnvoyFilter]) -> [String: [EnvoyFilter]] {
        var result: [String: [EnvoyFilter]] = [:]
        for filter in filters.sorted(by: { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }) {
            result[filter.meta.namespace, default: []].append(filter)
        }
        return result
    }
}
