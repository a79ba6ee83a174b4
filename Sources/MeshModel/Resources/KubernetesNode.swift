/// A Kubernetes `v1` Node, reduced to its labels: the topology labels give the locality of the Pods it runs
/// (`TopologyLabels.locality(nodeLabels:)`). Cluster-scoped: its namespace is empty.
public struct KubernetesNode: Sendable, Hashable {
    public var meta: ObjectMeta

    public init(meta: ObjectMeta) {
        self.meta = meta
    }

    /// The node's `region/zone/subzone`, nil when its labels name none.
    public var locality: String? { TopologyLabels.locality(nodeLabels: meta.labels) }
}
