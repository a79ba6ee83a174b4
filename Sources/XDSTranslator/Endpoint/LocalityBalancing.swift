import EnvoyAPI
import MeshModel

/// Locality-aware load balancing, as istiod applies `localityLbSetting` to each client's load assignments:
///
/// - **distribute**: for a client whose locality matches an entry's `from`, each locality group matched by a `to`
///   pattern gets that share (divided among the groups one pattern matches, in proportion to their endpoint
///   weights), and groups no pattern matches are dropped. The cluster then balances by locality weight.
/// - **failover** (only with outlier detection: without it Envoy never sees an endpoint fail): priority 0 for the
///   client's own subzone, 1 for its zone, 2 for its region, 3 for other regions, except that a `from` entry for
///   the client's region keeps 3 for its `to` region and moves every other region to 4. Priorities are then
///   renumbered without gaps.
/// - **failoverPriority** (with outlier detection): within each locality, endpoints that match the client on more
///   of the listed labels, in order, come first; with `failover` as well, the locality priorities refine those.
enum LocalityBalancing {
    /// Where the client is, as far as its locality settings read it.
    struct Client: Sendable, Hashable {
        /// `region/zone/subzone`; nil is the empty locality.
        var locality: String?
        /// The client's values of the labels some `failoverPriority` names (topology labels derived from its
        /// locality included); nil when the client has no labels at all, which turns `failoverPriority` off.
        var labels: [String: String]?

        init(locality: String? = nil, labels: [String: String]? = nil) {
            self.locality = locality
            self.labels = labels
        }
    }

    /// One group of endpoints of one locality at one priority.
    struct Group {
        var locality: String
        var endpoints: [MeshEndpoint]
        var priority = 0
        var weight: Int

        init(locality: String, endpoints: [MeshEndpoint]) {
            self.locality = locality
            self.endpoints = endpoints
            weight = endpoints.reduce(0) { $0 + max($1.weight ?? 1, 1) }
        }
    }

    /// The setting in force for `plan`'s cluster (its DestinationRule's, its Service's `PreferClose`, the mesh
    /// config's) and whether it applies without outlier detection.
    static func setting(
        for plan: OutboundClusterPlan, mesh: MeshConfig
    ) -> (setting: LocalityLoadBalancerSetting, forced: Bool)? {
        LocalityLoadBalancerSetting.effective(
            mesh: mesh.localityLbSetting, destinationRule: plan.policy?.loadBalancer?.localityLbSetting,
            prefersClose: plan.service.prefersClose)
    }

    /// `plan`'s load assignment for `client`: by locality, then shaped by the setting in force.
    static func loadAssignment(
        _ plan: OutboundClusterPlan, endpoints: [MeshEndpoint], mesh: MeshConfig, client: Client
    ) -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        guard let (setting, forced) = setting(for: plan, mesh: mesh),
            !setting.distribute.isEmpty || forced || plan.policy?.outlierDetection != nil
        else {
            return LocalityEndpoints.loadAssignment(clusterName: plan.name, hosts: endpoints.map(LocalityEndpoints.Host.init))
        }
        var groups = grouped(endpoints)
        if !setting.distribute.isEmpty {
            distribute(&groups, setting.distribute, client: client.locality)
        } else {
            if !setting.failoverPriority.isEmpty {
                if let labels = client.labels { groups = prioritized(groups, by: setting.failoverPriority, client: labels) }
                if !setting.failover.isEmpty { failOver(&groups, setting.failover, client: client.locality) }
            } else {
                failOver(&groups, setting.failover, client: client.locality)
            }
        }
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = plan.name
        assignment.endpoints = groups.map { group in
            var result = LocalityEndpoints.group(
                locality: group.locality, hosts: group.endpoints.map(LocalityEndpoints.Host.init))
            result.priority = UInt32(group.priority)
            if !setting.distribute.isEmpty { result.loadBalancingWeight = ProtoValues.uint32(group.weight) }
            return result
        }
        return assignment
    }

    /// Endpoints without duplicates of one address and port, grouped by locality (sorted; no locality first).
    static func grouped(_ endpoints: [MeshEndpoint]) -> [Group] {
        var seen = Set<String>()
        let unique = endpoints
            .sorted { ($0.address, $0.port, $0.locality ?? "") < ($1.address, $1.port, $1.locality ?? "") }
            .filter { seen.insert("\($0.address):\($0.port)").inserted }
        let byLocality = Dictionary(grouping: unique) { $0.locality ?? "" }
        return byLocality.keys.sorted().map { Group(locality: $0, endpoints: byLocality[$0] ?? []) }
    }

    /// `distribute`: the first entry whose `from` matches the client reweights the groups.
    static func distribute(
        _ groups: inout [Group], _ entries: [LocalityLoadBalancerSetting.Distribute], client: String?
    ) {
        guard let entry = entries.first(where: { matches(client ?? "", pattern: $0.from) }) else { return }
        var unmatched = Set(groups.indices)
        for target in entry.to {
            let matched = groups.indices.filter { unmatched.contains($0) && matches(groups[$0].locality, pattern: target.locality) }
            let total = matched.reduce(0) { $0 + groups[$1].weight }
            guard total > 0 else { continue }
            for index in matched {
                unmatched.remove(index)
                let share = (Double(groups[index].weight) * Double(target.weight) / Double(total)).rounded(.up)
                groups[index].weight = max(Int(share), 1)
            }
        }
        groups = groups.indices.filter { !unmatched.contains($0) }.map { groups[$0] }
    }

    /// `failover`: priorities by how much of the client's locality a group shares, on top of any priorities
    /// `failoverPriority` gave (five locality levels per earlier priority), renumbered without gaps.
    static func failOver(
        _ groups: inout [Group], _ entries: [LocalityLoadBalancerSetting.Failover], client: String?
    ) {
        let own = parts(client ?? "")
        for index in groups.indices {
            let theirs = parts(groups[index].locality)
            var priority = levelPriority(own, theirs)
            if priority == 3, let entry = entries.first(where: { $0.from == own.region }), theirs.region != entry.to {
                priority = 4
            }
            groups[index].priority = groups[index].priority * 5 + priority
        }
        renumber(&groups)
    }

    /// `failoverPriority`: each locality group split by how many of the labels, in order, an endpoint shares with
    /// the client (`label=value` compares with that value instead); all endpoints matching is priority 0.
    static func prioritized(_ groups: [Group], by labels: [String], client: [String: String]) -> [Group] {
        let names = labels.map { label -> (name: String, value: String?) in
            let pieces = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return (pieces[0], pieces.count == 2 ? pieces[1] : nil)
        }
        var result: [Group] = []
        for group in groups {
            var byPriority: [Int: [MeshEndpoint]] = [:]
            for endpoint in group.endpoints {
                let own = TopologyLabels.augment(endpoint.labels, locality: endpoint.locality)
                var priority = 0
                for (position, label) in names.enumerated()
                where (label.value ?? client[label.name] ?? "") != (own[label.name] ?? "") {
                    priority = names.count - position
                    break
                }
                byPriority[priority, default: []].append(endpoint)
            }
            for priority in byPriority.keys.sorted() {
                var split = Group(locality: group.locality, endpoints: byPriority[priority] ?? [])
                split.priority = priority
                result.append(split)
            }
        }
        renumber(&result)
        return result
    }

    /// Priorities 0...n without gaps, in the order of the ones given.
    static func renumber(_ groups: inout [Group]) {
        let used = Set(groups.map(\.priority)).sorted()
        let rank = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0) })
        for index in groups.indices { groups[index].priority = rank[groups[index].priority] ?? 0 }
    }

    /// istiod's LocalityMatch: each part of the pattern is `*`, missing (zone and subzone only) or equal.
    static func matches(_ locality: String, pattern: String) -> Bool {
        let own = parts(locality)
        let rule = parts(pattern)
        return (rule.region == "*" || rule.region == own.region)
            && (rule.zone == "*" || rule.zone.isEmpty || rule.zone == own.zone)
            && (rule.subzone == "*" || rule.subzone.isEmpty || rule.subzone == own.subzone)
    }

    /// istiod's LbPriority: 0 same subzone, 1 same zone, 2 same region, 3 elsewhere.
    static func levelPriority(
        _ client: (region: String, zone: String, subzone: String),
        _ group: (region: String, zone: String, subzone: String)
    ) -> Int {
        guard client.region == group.region else { return 3 }
        guard client.zone == group.zone else { return 2 }
        return client.subzone == group.subzone ? 0 : 1
    }

    static func parts(_ locality: String) -> (region: String, zone: String, subzone: String) {
        let pieces = locality.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        return (
            pieces.count > 0 ? pieces[0] : "", pieces.count > 1 ? pieces[1] : "", pieces.count > 2 ? pieces[2] : ""
        )
    }
}
