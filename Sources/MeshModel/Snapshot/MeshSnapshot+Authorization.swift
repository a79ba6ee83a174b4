extension MeshSnapshot {
    /// Indexes the security policies of a snapshot (by namespace, each list ordered by name).
    public mutating func indexSecurityPolicies(
        authorization: [AuthorizationPolicy], requestAuthentication: [RequestAuthentication]
    ) {
        authorizationPolicies = Dictionary(grouping: authorization, by: \.meta.namespace).mapValues {
            $0.sorted { $0.meta.name < $1.meta.name }
        }
        requestAuthentications = Dictionary(grouping: requestAuthentication, by: \.meta.namespace).mapValues {
            $0.sorted { $0.meta.name < $1.meta.name }
        }
    }

    /// Sets the mesh config in force.
    public mutating func apply(meshConfig: MeshConfig) {
        self.meshConfig = meshConfig
    }

    /// The Pod or WorkloadEntry at one of `proxy`'s IPs: the workload a sidecar fronts, if the registry has it.
    public func ownWorkload(of proxy: Proxy) -> MeshWorkload? {
        workloads.first { proxy.ipAddresses.contains($0.address) }
    }

    /// The labels policies select `proxy` by: a sidecar's own workload's (else those its node reports), a router's
    /// own.
    public func policyLabels(of proxy: Proxy) -> [String: String] {
        guard proxy.kind != .router else { return proxy.labels }
        return ownWorkload(of: proxy)?.labels ?? proxy.labels
    }

    /// The AuthorizationPolicies that apply to a workload with `labels` in `namespace`, as istiod picks them: those
    /// of the root namespace without a selector or whose selector matches `labels` (in any namespace), then the
    /// selector-less ones of `namespace`, then those of `namespace` whose selector matches; each group by name.
    public func authorizationPolicies(namespace: String, labels: [String: String]) -> [AuthorizationPolicy] {
        Self.applicable(authorizationPolicies, root: meshConfig.rootNamespace, namespace: namespace) {
            Self.selects($0.selector, $0.targetRefs, labels)
        }
    }

    /// The RequestAuthentications that apply to a workload with `labels` in `namespace`, in the same order.
    public func requestAuthentications(namespace: String, labels: [String: String]) -> [RequestAuthentication] {
        Self.applicable(requestAuthentications, root: meshConfig.rootNamespace, namespace: namespace) {
            Self.selects($0.selector, $0.targetRefs, labels)
        }
    }

    /// Nil for a policy with neither selector nor target refs (namespace or mesh scope), else whether it picks a
    /// workload with `labels`. Target refs pick no proxy meshd serves (waypoints, Gateway API gateways).
    private static func selects(
        _ selector: [String: String]?, _ targetRefs: [PolicyTargetReference], _ labels: [String: String]
    ) -> Bool? {
        guard let selector else { return targetRefs.isEmpty ? nil : false }
        return selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// `selects` returns nil for a selector-less policy, else whether it picks the workload.
    private static func applicable<Policy>(
        _ index: [String: [Policy]], root: String, namespace: String, selects: (Policy) -> Bool?
    ) -> [Policy] {
        var result: [Policy] = []
        if root != namespace {
            result += (index[root] ?? []).filter { selects($0) != false }
        }
        let local = index[namespace] ?? []
        result += local.filter { selects($0) == nil }
        result += local.filter { selects($0) == true }
        return result
    }
}
