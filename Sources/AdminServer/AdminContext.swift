public import Discovery
public import Prometheus
public import Registry
public import XDSServer

/// Everything the admin endpoints read. All members are thread-safe.
public struct AdminContext: Sendable {
    public var store: ConfigStore
    public var provider: MeshResourceProvider
    public var ads: ADSServer<MeshResourceProvider>
    public var readiness: Readiness
    public var tracker: ChangeTracker
    public var metrics: PrometheusCollectorRegistry
    /// The CA's figures, when meshd runs its CA; refreshed before every scrape.
    public var caMetrics: CAMetrics?
    /// This replica's place in the replica set on etcd (`/debug/replicas`); nil for a single meshd.
    public var replicas: ReplicaState?
    /// The root rotation of a replica set, which stores the new root for every replica (`SharedRootSync.rotate`);
    /// nil rotates this process's CA alone.
    public var rotateSharedRoot: (@Sendable () async throws -> Void)?

    public init(
        store: ConfigStore, provider: MeshResourceProvider, ads: ADSServer<MeshResourceProvider>, readiness: Readiness,
        tracker: ChangeTracker, metrics: PrometheusCollectorRegistry, caMetrics: CAMetrics? = nil,
        replicas: ReplicaState? = nil
    ) {
        self.replicas = replicas
        self.store = store
        self.provider = provider
        self.ads = ads
        self.readiness = readiness
        self.tracker = tracker
        self.metrics = metrics
        self.caMetrics = caMetrics
    }
}
