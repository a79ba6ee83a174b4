public import Logging
public import Registry
public import ServiceLifecycle
import Foundation
import MeshModel
public import XDSServer

/// Follows the config store's snapshots: each new snapshot becomes the provider's current one as a new
/// generation, is recorded as a change (what objects differ, from which files), and every connected
/// proxy is asked to push what changed. Bursts coalesce, since the store keeps only the newest pending
/// snapshot.
public struct SnapshotPushService: Service {
    let store: ConfigStore
    let provider: MeshResourceProvider
    let ads: ADSServer<MeshResourceProvider>
    let readiness: Readiness
    let tracker: ChangeTracker
    let metrics: XDSMetrics?
    let logger: Logger

    public init(
        store: ConfigStore, provider: MeshResourceProvider, ads: ADSServer<MeshResourceProvider>, readiness: Readiness,
        tracker: ChangeTracker, metrics: XDSMetrics? = nil, logger: Logger
    ) {
        self.store = store
        self.provider = provider
        self.ads = ads
        self.readiness = readiness
        self.tracker = tracker
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var previous: MeshSnapshot?
            var generation: UInt64 = 0
            for await snapshot in store.snapshots() {
                defer { readiness.markConfigLoaded() }
                guard snapshot.version != previous?.version else { continue }
                generation += 1
                let change = ConfigChange(
                    id: generation, snapshotVersion: snapshot.version, publishedAt: Date(),
                    objects: ConfigChange.objectChanges(from: previous, to: snapshot))
                previous = snapshot
                tracker.published(change)
                provider.update(snapshot, generation: generation)
                metrics?.recordTrigger(change.trigger)
                logger.info(
                    "push",
                    metadata: [
                        "change": "\(change.id)", "version": "\(snapshot.version)", "objects": "\(change.objects.count)",
                        "trigger": "\(change.trigger)", "proxies": "\(ads.connectionCount)",
                    ])
                ads.pushAll()
            }
        }
    }
}
