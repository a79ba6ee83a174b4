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
    private let state = Mutex(AutoRegistrationState())

    public init(store: ConfigStore, gracePeriod: Duration = defaultGracePeriod, logger: Logger) {
        self.store = store
        self.gracePeriod = gracePeriod
        self.logger = logger
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
        guard let entry = group.registeredEntry(for: proxy) else {
            throw AdmissionError(.invalidNode, "\(what) failed: the node has no IP address")
        }
        let issues = ResourceValidator.validate(.workloadEntry(entry))
        if let issue = issues.first {
            throw AdmissionError(
                .invalidNode, "\(what) failed: WorkloadEntry \(entry.meta.namespace)/\(entry.meta.name): \(issue)")
        }
        let key = MeshResource.workloadEntry(entry).key
        let write = state.withLock { $0.connected(entry, proxyID: proxy.id, at: Date()) }
        if write {
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
            while !Task.isCancelled {
                do { try await Task.sleep(for: tick) } catch { return }
                self.removeExpired(at: .now)
            }
        }
    }

    /// Removes from the store the entries whose grace period ended by `now`, and those whose WorkloadGroup is no
    /// longer in the configuration (istiod's are garbage-collected with the group that owns them).
    func removeExpired(at now: ContinuousClock.Instant) {
        let expired = state.withLock { $0.expired(at: now) }
        for key in expired {
            store.remove(file: Self.file(of: key))
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
            store.remove(file: Self.file(of: key))
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
