/// `loadBalancer.localityLbSetting` of a DestinationRule, and the mesh config's `localityLbSetting`: how a client
/// prefers endpoints by locality (`region/zone/subzone`).
///
/// - `distribute`: from a client locality, share traffic between endpoint localities by weight;
/// - `failover`: with outlier detection, the client's own locality first, then its zone's region, then other
///   regions, with `from` region → `to` region pairs naming the region to fall back to;
/// - `failoverPriority`: with outlier detection, endpoints whose labels match the client's on more of the listed
///   labels (in order) come first.
public struct LocalityLoadBalancerSetting: Sendable, Hashable {
    /// One `distribute` entry: clients in `from` send `to`'s weights (percent, summing to 100) to those localities.
    public struct Distribute: Sendable, Hashable {
        /// A locality with an optional trailing `*`, such as `us-west/zone1/*`.
        public var from: String
        /// Destination locality patterns and their weights, sorted by pattern.
        public var to: [Weight]

        public init(from: String, to: [Weight]) {
            self.from = from
            self.to = to
        }
    }

    /// A destination locality pattern and its share in percent.
    public struct Weight: Sendable, Hashable {
        public var locality: String
        public var weight: Int

        public init(locality: String, weight: Int) {
            self.locality = locality
            self.weight = weight
        }
    }

    /// One `failover` entry: clients in region `from` fall back to region `to` before any other region.
    public struct Failover: Sendable, Hashable {
        public var from: String
        public var to: String

        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    public var distribute: [Distribute]
    public var failover: [Failover]
    /// Label names, each optionally `name=value` to compare endpoints with that value instead of the client's.
    public var failoverPriority: [String]
    /// `enabled`; nil when unset.
    public var enabled: Bool?

    public init(
        distribute: [Distribute] = [], failover: [Failover] = [], failoverPriority: [String] = [], enabled: Bool? = nil
    ) {
        self.distribute = distribute
        self.failover = failover
        self.failoverPriority = failoverPriority
        self.enabled = enabled
    }

    /// istiod's mesh default: `{enabled: true}`, so failover applies wherever outlier detection is configured.
    public static let meshDefault = LocalityLoadBalancerSetting(enabled: true)

    /// The setting in force for a cluster, as istiod's GetLocalityLbSetting picks it: the DestinationRule's own
    /// (unless it says `enabled: false`); else, for a Service with `trafficDistribution: PreferClose`, a
    /// `failoverPriority` of network, region, zone and subzone that applies without outlier detection (`forced`);
    /// else the mesh config's (unless that says `enabled: false`). Nil when locality load balancing is off.
    public static func effective(
        mesh: LocalityLoadBalancerSetting?, destinationRule: LocalityLoadBalancerSetting?, prefersClose: Bool = false
    ) -> (setting: LocalityLoadBalancerSetting, forced: Bool)? {
        if let destinationRule { return destinationRule.enabled == false ? nil : (destinationRule, false) }
        if prefersClose { return (preferClose, true) }
        guard let mesh, mesh.enabled != false else { return nil }
        return (mesh, false)
    }

    /// What istiod makes of `trafficDistribution: PreferClose`.
    public static let preferClose = LocalityLoadBalancerSetting(
        failoverPriority: [TopologyLabels.network, TopologyLabels.region, TopologyLabels.zone, TopologyLabels.subzone],
        enabled: true)
}

/// The well-known labels that describe where a workload runs, as Kubernetes and Istio name them. istiod adds them
/// to every endpoint's and proxy's labels from their locality and network, so `failoverPriority` can name them.
public enum TopologyLabels {
    public static let region = "topology.kubernetes.io/region"
    public static let zone = "topology.kubernetes.io/zone"
    public static let subzone = "topology.istio.io/subzone"
    public static let network = "topology.istio.io/network"
    /// The deprecated node labels, read when the current ones are missing.
    public static let betaRegion = "failure-domain.beta.kubernetes.io/region"
    public static let betaZone = "failure-domain.beta.kubernetes.io/zone"
    /// A Pod label that overrides its node's locality, `region.zone.subzone` (label values cannot hold `/`).
    public static let podLocality = "istio-locality"

    /// `labels` with the topology labels of `locality` (`region/zone/subzone`) added; the labels' own values win.
    /// meshd models no network for endpoints, so `topology.istio.io/network` is only what the labels hold.
    public static func augment(_ labels: [String: String], locality: String?) -> [String: String] {
        guard let locality, !locality.isEmpty else { return labels }
        var derived: [String: String] = [:]
        let parts = locality.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for (index, name) in [region, zone, subzone].enumerated() where index < parts.count && !parts[index].isEmpty {
            derived[name] = parts[index]
        }
        return derived.merging(labels) { _, own in own }
    }

    /// The locality `region/zone/subzone` that a node's labels give (empty parts trailing are dropped); nil when
    /// the node names no region and no zone.
    public static func locality(nodeLabels labels: [String: String]) -> String? {
        let regionValue = labels[region] ?? labels[betaRegion] ?? ""
        let zoneValue = labels[zone] ?? labels[betaZone] ?? ""
        return join(region: regionValue, zone: zoneValue, subzone: labels[subzone] ?? "")
    }

    /// `region/zone/subzone` without trailing empty parts; nil when all are empty.
    public static func join(region: String, zone: String, subzone: String) -> String? {
        var parts = [region, zone, subzone]
        while let last = parts.last, last.isEmpty { parts.removeLast() }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }
}
