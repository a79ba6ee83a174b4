/// istiod's merge of a DestinationRule's policies for one cluster (`MergeSubsetTrafficPolicy`):
/// 1. a `portLevelSettings` entry for the cluster's port replaces the four policies of its level wholesale
///    (fields it leaves out fall back to defaults, they are not inherited);
/// 2. a subset's policy then overrides the top-level one field by field; a subset port-level entry for the port
///    replaces all four.
extension DestinationRule {
    /// The policy of the cluster for service port `port` and subset `subset` (nil for the whole service).
    /// Port-level settings are resolved, so the result has none.
    public func effectivePolicy(port: Int, subset subsetName: String?) -> TrafficPolicy? {
        let top = trafficPolicy?.resolved(forPort: port).policy
        guard let subsetName, let subsetPolicy = subset(named: subsetName)?.trafficPolicy else { return top }
        let (own, hasPortLevel) = subsetPolicy.resolved(forPort: port)
        guard var merged = top else { return own }
        if own.connectionPool != nil || hasPortLevel { merged.connectionPool = own.connectionPool }
        if own.outlierDetection != nil || hasPortLevel { merged.outlierDetection = own.outlierDetection }
        if own.loadBalancer != nil || hasPortLevel { merged.loadBalancer = own.loadBalancer }
        if own.tls != nil || hasPortLevel { merged.tls = own.tls }
        return merged
    }

    /// The consistent hash a route to this host uses, as istiod picks it for a route destination: the subset's
    /// port-level hash, else the subset's, else the top-level port-level one, else the top-level one. Port-level
    /// hashes count only when the port is known (`port` nil skips them).
    public func consistentHash(port: Int?, subset subsetName: String?) -> ConsistentHashLB? {
        let subset = subsetName.flatMap { self.subset(named: $0) }
        func portLevel(_ policy: TrafficPolicy?) -> ConsistentHashLB? {
            guard let port else { return nil }
            return policy?.portLevelSettings.first { $0.port == port }?.loadBalancer?.consistentHash
        }
        return portLevel(subset?.trafficPolicy) ?? subset?.trafficPolicy?.loadBalancer?.consistentHash
            ?? portLevel(trafficPolicy) ?? trafficPolicy?.loadBalancer?.consistentHash
    }
}

extension TrafficPolicy {
    /// The policy for `port`: the port-level entry's four policies when there is one (and `true`), else self.
    /// The result never carries port-level settings.
    func resolved(forPort port: Int) -> (policy: TrafficPolicy, hasPortLevel: Bool) {
        guard let setting = portLevelSettings.first(where: { $0.port == port }) else {
            var copy = self
            copy.portLevelSettings = []
            return (copy, false)
        }
        let policy = TrafficPolicy(
            loadBalancer: setting.loadBalancer, connectionPool: setting.connectionPool,
            outlierDetection: setting.outlierDetection, tls: setting.tls)
        return (policy, true)
    }
}
