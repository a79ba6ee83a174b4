public import Foundation
public import Logging
public import MeshModel
public import Registry
public import ServiceLifecycle
import Synchronization
public import XDSServer

/// istiod's WorkloadEntry auto-registration: a proxy that connects with node metadata `AUTO_REGISTER_GROUP` naming a
/// WorkloadGroup of its namespace gets a WorkloadEntry built from the group (`WorkloadGroup.registeredEntry(for:)`),
/// and the entry goes once the proxy has been disconnected for the grace period (`--workload-entry-grace-period`,
/// istiod's `PILOT_WORKLOAD_ENTRY_GRACE_PERIOD`, 10 s) unless it reconnects first.
///
/// It is a source like the others: each entry is written to the `ConfigStore` under a name of its own
/// (`autoregistration:<namespace>/<name>`), so the snapshot, its version, the change set and the EDS push treat it
/// as any WorkloadEntry. Thread-safe; the grace period runs in `run()`, a `Service`.
///
/// In a replica set (`shared`), entries are written to the shared store instead, with this replica as their
/// `istio.io/workloadController`, and reach every replica (this one included) through its config source. The
/// replica a proxy is connected to owns its entry: it writes it on connection, deletes it after the grace period
/// unless another replica took it over, and writes it again if it went missing while the proxy is still connected.
/// Entries whose controller left the registry are deleted by any replica once they have been orphaned for the grace
/// period, unless their proxy reconnects to a live replica first.
public final class WorkloadAutoRegistration: Service, XDSEventObserver, Sendable {
    /// What the admin view shows of one entry.
    public struct Status: Sendable {
        public var entry: WorkloadEntry
        public var group: String
        public var proxyID: String
        public var connections: Int
        public var connectedAt: Date
        public var disconnectedAt: Date?
        /// When the entry will be removed, if its proxy stays away.
        public var removalAt: Date?
    }

    /// istiod's default grace period.
    public static let defaultGracePeriod = Duration.seconds(10)
    /// The store names its entries' "files" with this prefix.
    public static let sourcePrefix = "autoregistration:"

    let store: ConfigStore
    let gracePeriod: Duration
    let logger: Logger
    let shared: SharedRegistration?
    private let state = Mutex(AutoRegistrationState())
    /// Shared mode: writes to the shared store, made one at a time in `run()`, in order.
    private let writes: AsyncStream<SharedWrite>
    private let writer: AsyncStream<SharedWrite>.Continuation
    /// Shared mode: since when each entry of a replica that left the registry has been seen orphaned.
    private let orphanedSince = Mutex<[ResourceKey: ContinuousClock.Instant]>([:])

    enum SharedWrite: Sendable {
        case put(WorkloadEntry)
        case delete(ResourceKey, controller: String)
    }

    public init(
        store: ConfigStore, gracePeriod: Duration = defaultGracePeriod, logger: Logger,
        shared: SharedRegistration? = nil
    ) {
        self.store = store
        self.gracePeriod = gracePeriod
        self.logger = logger
        self.shared = shared
        (writes, writer) = AsyncStream.makeStream(of: SharedWrite.self)
    }

    /// Registers the WorkloadEntry of `proxy`, which was just authenticated, if its node names a group. Throws an
    /// `AdmissionError` to refuse the stream, as istiod refuses it: the group does not exist, the proxy has no IP,
    /// the entry would be invalid, or (meshd, failing closed) the proxy proved another service account than the
    /// group's template gives the entry.
    func register(_ proxy: Proxy) throws {
        guard let groupName = proxy.autoRegisterGroup else { return }
        // The store's newest snapshot: a group just added is found before the push that carries it.
        let snapshot = store.snapshot()
        let what = "auto-registration of \(proxy.id)"
        guard let group = snapshot.workloadGroup(namespace: proxy.namespace, name: groupName) else {
            throw AdmissionError(
                .invalidNode, "\(what) failed: cannot find WorkloadGroup \(proxy.namespace)/\(groupName)")
        }
        if let identity = proxy.workloadIdentity, let account = group.template.serviceAccount, !account.isEmpty,
            identity.serviceAccount != account
        {
            throw AdmissionError(
                .permissionDenied,
                "\(what) refused: the proxy proved service account \(identity.serviceAccount), but WorkloadGroup "
                    + "\(proxy.namespace)/\(groupName) registers entries as \(account)")
        }
        guard var entry = group.registeredEntry(for: proxy) else {
            throw AdmissionError(.invalidNode, "\(what) failed: the node has no IP address")
        }
        let issues = ResourceValidator.validate(.workloadEntry(entry))
        if let issue = issues.first {
            throw AdmissionError(
                .invalidNode, "\(what) failed: WorkloadEntry \(entry.meta.namespace)/\(entry.meta.name): \(issue)")
        }
        if let shared {
            entry.meta.annotations[SharedRegistration.controllerAnnotation] = shared.replica
            entry.meta.annotations[SharedRegistration.connectedAtAnnotation] = Self.timestamp(Date())
        }
        let key = MeshResource.workloadEntry(entry).key
        let write = state.withLock { $0.connected(entry, proxyID: proxy.id, at: Date()) }
        if shared != nil {
            // Written even when unchanged here: the proxy may come back from another replica that took the entry.
            writer.yield(.put(entry))
            logger.info("auto-registered WorkloadEntry", metadata: ["entry": "\(key)", "proxy": "\(proxy.id)"])
        } else if write {
            let object = ConfigObject(
                resource: .workloadEntry(entry), source: SourceLocation(file: Self.file(of: key), document: 1))
            store.apply(file: Self.file(of: key), result: DecodeResult(objects: [object]))
            logger.info("auto-registered WorkloadEntry", metadata: ["entry": "\(key)", "proxy": "\(proxy.id)"])
        }
    }

    /// A disconnection starts the grace period of the proxy's entry once its last connection has gone.
    public func observe(_ event: XDSEvent) {
        guard case .disconnected(let proxyID, _) = event else { return }
        let deadline = ContinuousClock.now + gracePeriod
        state.withLock { $0.disconnected(proxyID: proxyID, at: Date(), deadline: deadline) }
    }

    /// Removes entries whose grace period has passed or whose group is gone, checking a few times per grace period
    /// (at least every second).
    public func run() async throws {
        let tick = max(min(gracePeriod / 4, .seconds(1)), .milliseconds(50))
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                if let shared = self.shared {
                    group.addTask { await self.writeShared(shared) }
                }
                while !Task.isCancelled {
                    do { try await Task.sleep(for: tick) } catch { break }
                    self.removeExpired(at: .now)
                    if let shared = self.shared { self.reconcileShared(shared, at: .now) }
                }
                self.writer.finish()
            }
        }
    }

    /// Makes the shared store's writes, in order; a failed one is logged (the next reconciliation repairs a missing
    /// entry; a failed delete is retried by the orphan collection).
    private func writeShared(_ shared: SharedRegistration) async {
        for await write in writes {
            do {
                switch write {
                case .put(let entry): try await shared.store.put(entry)
                case .delete(let key, let controller): try await shared.store.delete(key, ifControlledBy: controller)
                }
            } catch {
                logger.warning(
                    "auto-registration: cannot write \(shared.store.location): \(error)", metadata: ["write": "\(write)"])
            }
        }
    }

    /// Shared mode, each tick: entries of this replica's connected proxies that are missing from the configuration
    /// (or were taken by a replica that since let go) are written again; entries whose controller left the registry
    /// are deleted once orphaned for the grace period.
    func reconcileShared(_ shared: SharedRegistration, at now: ContinuousClock.Instant) {
        let snapshot = store.snapshot()
        var stored: [ResourceKey: WorkloadEntry] = [:]
        for object in snapshot.objects.values {
            guard case .workloadEntry(let entry) = object.resource,
                entry.meta.annotations[WorkloadGroup.groupAnnotation] != nil
            else { continue }
            stored[object.key] = entry
        }
        let connected = state.withLock { state in
            state.registrations.filter { $0.value.connections > 0 }.map(\.value.entry)
        }
        for entry in connected {
            let key = MeshResource.workloadEntry(entry).key
            if stored[key] == nil { writer.yield(.put(entry)) }
        }
        guard let live = shared.liveReplicas() else { return }
        let orphans = stored.compactMap { key, entry -> (ResourceKey, String)? in
            guard let controller = entry.meta.annotations[SharedRegistration.controllerAnnotation],
                controller != shared.replica, !live.contains(controller)
            else { return nil }
            return (key, controller)
        }
        let due = orphanedSince.withLock { since -> [(ResourceKey, String)] in
            let current = Set(orphans.map(\.0))
            since = since.filter { current.contains($0.key) }
            for (key, _) in orphans where since[key] == nil { since[key] = now }
            return orphans.filter { key, _ in (since[key].map { now - $0 >= gracePeriod }) ?? false }
        }
        for (key, controller) in due {
            logger.info(
                "removing auto-registered WorkloadEntry of a replica that left the registry",
                metadata: ["entry": "\(key)", "controller": "\(controller)"])
            writer.yield(.delete(key, controller: controller))
        }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Removes from the store the entries whose grace period ended by `now`, and those whose WorkloadGroup is no
    /// longer in the configuration (istiod's are garbage-collected with the group that owns them).
    func removeExpired(at now: ContinuousClock.Instant) {
        let expired = state.withLock { $0.expired(at: now) }
        for key in expired {
            if let shared {
                writer.yield(.delete(key, controller: shared.replica))
            } else {
                store.remove(file: Self.file(of: key))
            }
            logger.info("removed auto-registered WorkloadEntry after the grace period", metadata: ["entry": "\(key)"])
        }
        let snapshot = store.snapshot()
        let orphaned = state.withLock { state in
            state.removeAll { entry in
                let group = entry.meta.annotations[WorkloadGroup.groupAnnotation] ?? ""
                return snapshot.workloadGroup(namespace: entry.meta.namespace, name: group) == nil
            }
        }
        for key in orphaned {
            if let shared {
                writer.yield(.delete(key, controller: shared.replica))
            } else {
                store.remove(file: Self.file(of: key))
            }
            logger.info(
                "removed auto-registered WorkloadEntry: its WorkloadGroup is gone", metadata: ["entry": "\(key)"])
        }
    }

    /// Every registered entry, by key.
    public func statuses() -> [Status] {
        let now = ContinuousClock.now
        let wallNow = Date()
        return state.withLock { state in
            state.registrations.sorted { $0.key < $1.key }.map { _, registration in
                let removal = registration.deadline.map { deadline -> Date in
                    let seconds =
                        Double((deadline - now).components.seconds)
                        + Double((deadline - now).components.attoseconds) / 1e18
                    return wallNow.addingTimeInterval(seconds)
                }
                return Status(
                    entry: registration.entry,
                    group: registration.entry.meta.annotations[WorkloadGroup.groupAnnotation] ?? "",
                    proxyID: registration.proxyID, connections: registration.connections,
                    connectedAt: registration.connectedAt, disconnectedAt: registration.disconnectedAt,
                    removalAt: removal)
            }
        }
    }

    static func file(of key: ResourceKey) -> String { "\(sourcePrefix)\(key.namespace)/\(key.name)" }
}
