extension ConfigDecoder {
    /// `localityLbSetting`, in a DestinationRule's load balancer or the mesh config. The rules istiod checks
    /// are `LocalityLoadBalancerSetting.problems()`, run by the validator and by the mesh config decoder.
    static func decodeLocalityLbSetting(_ setting: YAMLMapping) -> LocalityLoadBalancerSetting {
        setting.warnUnsupported(handled: ["enabled", "distribute", "failover", "failoverPriority"])
        var result = LocalityLoadBalancerSetting(enabled: setting.bool("enabled"))
        result.distribute = setting.sequence("distribute").compactMap { item in
            guard let entry = item.mapping() else { return nil }
            entry.warnUnsupported(handled: ["from", "to"])
            var weights: [LocalityLoadBalancerSetting.Weight] = []
            if let to = entry.mapping("to") {
                for key in to.keys {
                    guard let weight = to.int(key, .uint32) else { continue }
                    weights.append(LocalityLoadBalancerSetting.Weight(locality: key, weight: weight))
                }
            }
            return LocalityLoadBalancerSetting.Distribute(
                from: entry.string("from") ?? "", to: weights.sorted { $0.locality < $1.locality })
        }
        result.failover = setting.sequence("failover").compactMap { item in
            guard let entry = item.mapping() else { return nil }
            entry.warnUnsupported(handled: ["from", "to"])
            return LocalityLoadBalancerSetting.Failover(from: entry.string("from") ?? "", to: entry.string("to") ?? "")
        }
        result.failoverPriority = setting.stringList("failoverPriority")
        return result
    }
}
