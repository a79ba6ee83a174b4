public import Logging
public import Registry
public import ServiceLifecycle
import MeshModel
public import XDSServer

/// Follows the config store's snapshots: each new snapshot becomes current in the provider and every
/// connected proxy is asked to push what changed. Bursts coalesce, since the store keeps only the newest
/// pending snapshot.
public struct SnapshotPushService: Service {
    let store: ConfigStore
    let provider: MeshResourceProvider
    let ads: ADSServer<MeshResourceProvider>
    let readiness: Readiness
    let logger: Logger

    public init(store: ConfigStore, provider: MeshResourceProvider, ads: ADSServer<MeshResourceProvider>, readiness: Readiness, logger: Logger) {
        self.store = store
        self.provider = provider
        self.ads = ads
        self.readiness = readiness
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var generation: UInt64 = 0
            for await snapshot in store.snapshots() {
                let previous = provider.snapshot.version
                generation += 1
                provider.update(snapshot, generation: generation)
                readiness.markConfigLoaded()
                guard snapshot.version != previous else { continue }
                logger.info(
                    "new snapshot", metadata: ["version": "\(snapshot.version)", "services": "\(snapshot.services.count)", "proxies": "\(ads.connectionCount)"])
                ads.pushAll()
            }
        }
    }
}
