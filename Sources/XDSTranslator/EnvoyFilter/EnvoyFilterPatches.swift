import Foundation
public import MeshModel

/// The EnvoyFilter patches that apply to one proxy, in the order istiod applies them: the filters
/// `MeshSnapshot.envoyFilters(namespace:labels:)` picks, each filter's patches in order, only those whose
/// `match.proxy` the proxy satisfies. Part of the CDS, LDS and RDS inputs, so proxies that get the same patches keep
/// sharing generated config.
///
/// Equal and hashed by which patches they are (filter key and index): within one generation of the mesh a key names
/// exactly one object, as for `SelectedSidecar`.
public struct EnvoyFilterPatches: Sendable, Hashable {
    public struct Applied: Sendable, Hashable {
        public let filter: ResourceKey
        public let index: Int
        public let patch: EnvoyConfigPatch

        public static func == (lhs: Self, rhs: Self) -> Bool { lhs.filter == rhs.filter && lhs.index == rhs.index }
        public func hash(into hasher: inout Hasher) {
            hasher.combine(filter)
            hasher.combine(index)
        }
    }

    public static let none = EnvoyFilterPatches(patches: [])

    public let patches: [Applied]
    /// `patches` by `applyTo`, each in order: the patcher asks per listener, chain and filter.
    private let byApplyTo: [EnvoyConfigPatch.ApplyTo: [Applied]]

    public init(patches: [Applied]) {
        self.patches = patches
        byApplyTo = Dictionary(grouping: patches, by: \.patch.applyTo)
    }

    public var isEmpty: Bool { patches.isEmpty }

    /// The patches of `applyTo`, in order.
    func of(_ applyTo: EnvoyConfigPatch.ApplyTo) -> [Applied] { byApplyTo[applyTo] ?? [] }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.patches == rhs.patches }
    public func hash(into hasher: inout Hasher) { hasher.combine(patches) }

    /// The patches of `filters` (already selected and ordered for `proxy`) whose `match.proxy` `proxy` satisfies:
    /// `proxyVersion` is a regular expression over the node's `ISTIO_VERSION` (a proxy without one never matches
    /// it), and every `metadata` entry must be in the node metadata with that value.
    static func selecting(_ filters: [EnvoyFilter], for proxy: Proxy) -> EnvoyFilterPatches {
        var applied: [Applied] = []
        for filter in filters {
            let key = ResourceKey(kind: .envoyFilter, namespace: filter.meta.namespace, name: filter.meta.name)
            for (index, patch) in filter.configPatches.enumerated() where proxyMatches(patch.match, proxy) {
                applied.append(Applied(filter: key, index: index, patch: patch))
            }
        }
        return EnvoyFilterPatches(patches: applied)
    }

    private static func proxyMatches(_ match: EnvoyConfigPatch.Match, _ proxy: Proxy) -> Bool {
        if match.context == .waypoint { return false }
        if let pattern = match.proxyVersion {
            guard let version = proxy.metadata["ISTIO_VERSION"],
                let regex = try? NSRegularExpression(pattern: pattern),
                regex.firstMatch(in: version, range: NSRange(version.startIndex..., in: version)) != nil
            else { return false }
        }
        return match.proxyMetadata.allSatisfy { proxy.metadata[$0.key] == $0.value }
    }
}
