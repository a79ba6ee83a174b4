public import MeshModel

/// Which changes can alter what one generator produces: the config kinds it reads, whether it reads the mesh
/// config and the fetched JWKS key sets, and how it reads endpoints. Declared beside each generator (as istiod
/// keeps `cdsNeedsPush` beside its CDS generator); the push uses it to decide which types a change re-generates
/// and re-sends, and the cache keeps every other type's sets.
///
/// A declaration that misses an input is a stale-config bug: `DependencyDeclarationTests` change each object of
/// every golden mesh in turn and check that what the cache serves equals a fresh translation.
public struct ConfigDependencies: Sendable {
    /// How a generator reads Pods, WorkloadEntries and EndpointSlices.
    public enum EndpointReads: Sendable {
        /// Not at all.
        case none
        /// Only through each proxy's inputs (its own workload's ports and labels): a proxy whose inputs changed is
        /// re-generated for; nothing mesh-wide.
        case ownWorkload
        /// Through the proxy's inputs, and through what clusters carry of their endpoints (auto-mTLS facts, DNS
        /// endpoints inline): `ClusterGenerator.endpointsChangeClusters` decides.
        case clusterFacing
        /// Every endpoint (EDS).
        case all
    }

    /// The config kinds (other than the workload kinds) whose objects the generator reads.
    public let kinds: Set<ResourceKind>
    public let meshConfig: Bool
    public let fetchedJWKS: Bool
    public let endpoints: EndpointReads

    /// Whether a proxy's inputs for this type carry facts of its own workload (ports, labels), which can change with
    /// an endpoint change that leaves the type's epoch in place.
    public var readsOwnWorkload: Bool { endpoints == .ownWorkload || endpoints == .clusterFacing }

    /// The kinds every generator reads: services (they are what all config is about), the VirtualServices and
    /// Sidecars that decide what a proxy imports (`SidecarScope`).
    static let scoping: Set<ResourceKind> = [.service, .serviceEntry, .virtualService, .sidecar]

    /// Whether `changes` can alter a generated set of a proxy whose inputs did not change, between the snapshots
    /// `old` and `new`.
    public func affected(by changes: ChangeSet, from old: MeshSnapshot, to new: MeshSnapshot) -> Bool {
        if changes.everything || (meshConfig && changes.meshConfig) || (fetchedJWKS && changes.fetchedJWKS) {
            return true
        }
        let changedKinds = changes.kinds
        if !kinds.isDisjoint(with: changedKinds) { return true }
        guard !changedKinds.isDisjoint(with: ChangeSet.workloadKinds) || !changes.endpointHostnames.isEmpty else {
            return false
        }
        switch endpoints {
        case .none, .ownWorkload: return false
        case .all: return true
        case .clusterFacing:
            return ClusterGenerator.endpointsChangeClusters(from: old, to: new, hostnames: changes.endpointHostnames)
        }
    }
}

extension XDSTranslator {
    /// The declared dependencies of the generator of `typeURL`; nil for an unknown type URL.
    public static func dependencies(ofTypeURL typeURL: String) -> ConfigDependencies? {
        switch typeURL {
        case TypeURL.cluster: ClusterGenerator.dependencies
        case TypeURL.endpoint: EndpointGenerator.dependencies
        case TypeURL.listener: ListenerGenerator.dependencies
        case TypeURL.route: RouteGenerator.dependencies
        case TypeURL.secret: SecretGenerator.dependencies
        case TypeURL.extensionConfig: ExtensionConfigGenerator.dependencies
        default: nil
        }
    }
}
