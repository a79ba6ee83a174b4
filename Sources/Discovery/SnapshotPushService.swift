import Foundation
public import Logging
import MeshModel
public import Registry
public import ServiceLifecycle
import Synchronization
public import XDSServer

/// Follows the config store's snapshots and turns them into pushes.
///
/// Every new snapshot is recorded at once as a change: its change-log generation (one number from the store to
/// the ACK) and what the store recorded it changed (`ChangeLog`), never found by comparing snapshots again.
/// Pushes are debounced (`PushDebouncer`): a burst of config changes becomes one push after `debounceAfter` of
/// quiet (at most `debounceMax` after the first); a burst of endpoint-only changes becomes one push after
/// `endpointWindow`. The burst's merged change set decides which types are re-generated and offered, by each
/// generator's declared dependencies (`MeshResourceProvider.update`): an endpoint change usually moves EDS alone,
/// an AuthorizationPolicy edit LDS alone. Changes that arrive while a push is being made join the next one. The
/// first snapshot is applied at once.
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
        tracker: ChangeTracker, metrics: XDSMetrics? = nil, settings: PushSettings = PushSettings(),
        pushMetrics: PushMetrics? = nil,
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

    /// The newest accepted snapshot, what changed since the last push, and the debouncer, shared by the reader
    /// and the pusher. Thread-safe.
    private final class Pending: Sendable {
        struct State {
            var debouncer: PushDebouncer
            var latest: (snapshot: MeshSnapshot, change: ConfigChange)?
            /// Everything that changed since the last push, merged across the changes of a burst.
            var changes = ChangeSet()
            /// The version proxies are served (the last pushed), and the newest snapshot received: a snapshot with
            /// the served content counts as pushed for readiness (`Readiness.markPushed`).
            var pushedVersion: String?
            var received: (version: String, generation: UInt64)?
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
                        let due = pending.withLock {
                            state -> (MeshSnapshot, ConfigChange, ChangeSet, PushDebouncer.Burst)? in
                            guard let burst = state.debouncer.fire(at: .now), let latest = state.latest else {
                                return nil
                            }
                            defer { state.changes = ChangeSet() }
                            return (latest.snapshot, latest.change, state.changes, burst)
                        }
                        guard let (snapshot, change, changes, burst) = due else { continue }
                        push(snapshot, change: change, changes: changes, merged: burst.changes)
                        served(snapshot, change: change, pending: pending)
                    }
                }
            }
        }
    }

    /// Records every snapshot as a change, with what the store's change log says it changed, and hands it to the
    /// debouncer. The first one is pushed at once.
    private func readChanges(into pending: Pending, wake: AsyncStream<Void>.Continuation) async {
        var last: UInt64 = 0
        var lastVersion: String?
        for await snapshot in jwks?.snapshots() ?? store.snapshots() {
            defer { readiness.markConfigLoaded() }
            let alreadyServed = pending.withLock { state in
                state.received = (snapshot.version, snapshot.generation)
                return state.pushedVersion == snapshot.version
            }
            if alreadyServed { readiness.markPushed(generation: snapshot.generation) }
            guard snapshot.version != lastVersion else { continue }
            let first = lastVersion == nil
            // A snapshot from the store (or the JWKS fetcher) carries its change-log generation; one that does not
            // (an embedder's own) is taken as a change of anything.
            let fromLog = snapshot.generation > last
            let generation = fromLog ? snapshot.generation : last + 1
            let changes =
                first
                ? ChangeSet.initial(snapshot)
                : fromLog ? store.changeLog.changes(after: last, through: generation) : .unknown
            last = generation
            lastVersion = snapshot.version
            let change = ConfigChange(
                id: generation, snapshotVersion: snapshot.version, publishedAt: Date(), changes: changes)
            tracker.published(change)
            metrics?.recordTrigger(change.trigger)
            if first {
                push(snapshot, change: change, changes: changes, merged: 1)
                served(snapshot, change: change, pending: pending)
                continue
            }
            pending.withLock { state in
                state.latest = (snapshot, change)
                state.changes.merge(changes)
                state.debouncer.changed(endpointOnly: change.trigger == .endpoint, at: .now)
            }
            wake.yield()
        }
    }

    /// Records that proxies are now served `snapshot`: its generation, or the newest received one when that has the
    /// same content, counts as pushed for readiness.
    private func served(_ snapshot: MeshSnapshot, change: ConfigChange, pending: Pending) {
        let generation = pending.withLock { state -> UInt64 in
            state.pushedVersion = snapshot.version
            guard let received = state.received, received.version == snapshot.version else { return change.id }
            return max(received.generation, change.id)
        }
        readiness.markPushed(generation: generation)
    }

    /// Makes `snapshot` current and offers every stream a push of the types `changes` affects.
    private func push(_ snapshot: MeshSnapshot, change: ConfigChange, changes: ChangeSet, merged: Int) {
        let types = provider.update(snapshot, generation: change.id, changes: changes)
        let path = PushMetrics.path(of: types)
        pushMetrics?.pushed(path: path, changes: merged)
        logger.info(
            "push",
            metadata: [
                "change": "\(change.id)", "version": "\(snapshot.version)", "objects": "\(changes.objects.count)",
                "trigger": "\(change.trigger.rawValue)", "path": "\(path)",
                "types": "\(XDSType.pushOrder.filter(types.contains).map(\.shortName).joined(separator: ","))",
                "merged": "\(merged)", "proxies": "\(ads.connectionCount)",
            ])
        ads.push(PushRequest(types: types, generation: change.id))
    }
}
