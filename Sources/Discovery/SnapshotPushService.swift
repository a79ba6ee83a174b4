public import Logging
public import Registry
public import ServiceLifecycle
import Foundation
import MeshModel
import Synchronization
public import XDSServer

/// Follows the config store's snapshots and turns them into pushes.
///
/// Every new snapshot is recorded at once as a change (its own generation, what objects differ, from which
/// files). Pushes are debounced (`PushDebouncer`): a burst of config changes becomes one push after
/// `debounceAfter` of quiet (at most `debounceMax` after the first); a burst of endpoint-only changes
/// becomes one EDS-only push after `endpointWindow`, unless `EndpointFastPath` finds that CDS could differ.
/// Changes that arrive while a push is being made join the next one. The first snapshot is applied at once.
public struct SnapshotPushService: Service {
    let store: ConfigStore
    let provider: MeshResourceProvider
    let ads: ADSServer<MeshResourceProvider>
    let readiness: Readiness
    let tracker: ChangeTracker
    let metrics: XDSMetrics?
    let pushMetrics: PushMetrics?
    let settings: PushSettings
    /// When set, snapshots come through it, carrying the fetched JWKS key sets (a key change is a push).
    let jwks: JWKSService?
    let logger: Logger

    public init(
        store: ConfigStore, provider: MeshResourceProvider, ads: ADSServer<MeshResourceProvider>, readiness: Readiness,
        tracker: ChangeTracker, metrics: XDSMetrics? = nil, settings: PushSettings = PushSettings(), pushMetrics: PushMetrics? = nil,
        jwks: JWKSService? = nil, logger: Logger
    ) {
        self.jwks = jwks
        self.store = store
        self.provider = provider
        self.ads = ads
        self.readiness = readiness
        self.tracker = tracker
        self.metrics = metrics
        self.pushMetrics = pushMetrics
        self.settings = settings
        self.logger = logger
    }

    /// The newest accepted snapshot and the debouncer, shared by the reader and the pusher. Thread-safe.
    private final class Pending: Sendable {
        struct State {
            var debouncer: PushDebouncer
            var latest: (snapshot: MeshSnapshot, change: ConfigChange)?
            /// The snapshot of the last push: what the fast-path rule compares against.
            var pushed: MeshSnapshot?
        }
        let state: Mutex<State>
        init(settings: PushSettings) { state = Mutex(State(debouncer: PushDebouncer(settings: settings))) }
        func withLock<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
    }

    public func run() async throws {
        let pending = Pending(settings: settings)
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    defer { wake.finish() }
                    await readChanges(into: pending, wake: wake)
                }
                for await _ in wakes {
                    while let deadline = pending.withLock({ $0.debouncer.deadline }) {
                        do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return }
                        let due = pending.withLock { state -> (MeshSnapshot, ConfigChange, PushDebouncer.Burst, MeshSnapshot?)? in
                            guard let burst = state.debouncer.fire(at: .now), let latest = state.latest else { return nil }
                            defer { state.pushed = latest.snapshot }
                            return (latest.snapshot, latest.change, burst, state.pushed)
                        }
                        guard let (snapshot, change, burst, pushed) = due else { continue }
                        push(snapshot, change: change, burst: burst, after: pushed)
                    }
                }
            }
        }
    }

    /// Records every snapshot as a change and hands it to the debouncer. The first one is pushed at once.
    private func readChanges(into pending: Pending, wake: AsyncStream<Void>.Continuation) async {
        var previous: MeshSnapshot?
        var generation: UInt64 = 0
        for await snapshot in jwks?.snapshots() ?? store.snapshots() {
            defer { readiness.markConfigLoaded() }
            guard snapshot.version != previous?.version else { continue }
            generation += 1
            let change = ConfigChange(
                id: generation, snapshotVersion: snapshot.version, publishedAt: Date(),
                objects: ConfigChange.objectChanges(from: previous, to: snapshot))
            let first = previous == nil
            previous = snapshot
            tracker.published(change)
            metrics?.recordTrigger(change.trigger)
            if first {
                pending.withLock { $0.pushed = snapshot }
                push(snapshot, change: change, burst: nil, after: nil)
                continue
            }
            pending.withLock { state in
                state.latest = (snapshot, change)
                state.debouncer.changed(endpointOnly: change.trigger == "endpoint", at: .now)
            }
            wake.yield()
        }
    }

    /// Makes `snapshot` current and offers the push to every stream.
    private func push(_ snapshot: MeshSnapshot, change: ConfigChange, burst: PushDebouncer.Burst?, after pushed: MeshSnapshot?) {
        let endpointOnly =
            burst?.endpointOnly == true && pushed.map { EndpointFastPath.allows(from: $0, to: snapshot) } == true
        provider.update(snapshot, generation: change.id, scope: endpointOnly ? .endpointsOnly : .full)
        pushMetrics?.pushed(endpointOnly: endpointOnly, changes: burst?.changes ?? 1)
        logger.info(
            "push",
            metadata: [
                "change": "\(change.id)", "version": "\(snapshot.version)", "objects": "\(change.objects.count)",
                "trigger": "\(change.trigger)", "path": "\(endpointOnly ? "eds" : "full")", "merged": "\(burst?.changes ?? 1)",
                "proxies": "\(ads.connectionCount)",
            ])
        ads.push(endpointOnly ? PushRequest(types: [.endpoint], generation: change.id) : PushRequest(generation: change.id))
    }
}
