public import EtcdClient
public import Logging
public import ServiceLifecycle
import Synchronization

/// One replica's membership of the replica set on etcd: its lease, its registry key, and leader election for the
/// duties that must be done once.
///
/// - Grants a lease of `leaseTTL` and renews it every third of it. The lease is lost when etcd says so, or when no
///   renewal succeeded for a whole TTL (etcd may have expired it meanwhile); then everything starts again with a new
///   lease.
/// - Registers `<prefix>/_replicas/<id>` (`ReplicaRecord`) bound to the lease, and writes it again at each renewal:
///   the config watch seeing that write measures its lag (`ReplicaState`).
/// - Campaigns for `<prefix>/_leader` (`EtcdElection`): create-if-absent with the lease. The winner runs the
///   duties, each write fenced by the leader key; the others watch the key and campaign again when it goes, which is
///   at most one TTL after the leader died.
/// - On graceful shutdown it revokes the lease, so the leader key and the registry key go at once and another
///   replica takes over without waiting for the TTL.
public struct EtcdReplicaService: Service {
    public struct Options: Sendable {
        public var leaseTTL: Duration = .seconds(10)
        /// The pause before retrying after a failure (etcd unreachable, a broken watch).
        public var retryDelay: Duration = .seconds(1)

        public init(leaseTTL: Duration = .seconds(10), retryDelay: Duration = .seconds(1)) {
            self.leaseTTL = leaseTTL
            self.retryDelay = retryDelay
        }
    }

    /// The lease ended: etcd no longer has it, or it was not renewed for a TTL.
    struct LeaseLost: Error, CustomStringConvertible {
        var reason: String
        var description: String { "lease lost: \(reason)" }
    }

    public let connection: EtcdConnection
    public let layout: EtcdKeyLayout
    public let state: ReplicaState
    public let options: Options
    let duties: [any LeaderDuty]
    /// This replica's record, nil until its listeners are bound.
    let record: @Sendable () -> ReplicaRecord?
    let logger: Logger
    private let lease = LeaseHolder()

    public init(
        connection: EtcdConnection, layout: EtcdKeyLayout, state: ReplicaState, options: Options = Options(),
        duties: [any LeaderDuty], logger: Logger, record: @escaping @Sendable () -> ReplicaRecord?
    ) {
        var connection = connection
        // A renewal must answer well inside the TTL.
        connection.requestTimeout = min(connection.requestTimeout, options.leaseTTL / 3)
        self.connection = connection
        self.layout = layout
        self.state = state
        self.options = options
        self.duties = duties
        self.logger = logger
        self.record = record
    }

    public var election: EtcdElection { EtcdElection(key: layout.reservedKey("leader")) }
    public var registryPrefix: String { layout.reservedKey("replicas") + "/" }
    public var registryKey: String { registryPrefix + state.id }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            guard let record = await waitForRecord() else { return }
            logger.info(
                "joining the replica set",
                metadata: ["replica": "\(state.id)", "lease-ttl": "\(options.leaseTTL)", "etcd": "\(connection)"])
            var endpoint = 0
            while !Task.isCancelled {
                do {
                    try await epoch(record: record, endpoint: endpoint)
                } catch {
                    if Task.isCancelled { break }
                    state.failed("\(error)")
                    logger.warning("replica set: \(error); starting again with a new lease")
                }
                if state.isLeader { logger.notice("no longer the leader", metadata: ["replica": "\(state.id)"]) }
                state.follows(nil)
                state.leaseGranted(nil)
                endpoint += 1
                try? await Task.sleep(for: options.retryDelay)
            }
        }
        // Not cancelled here on a graceful shutdown (only the body above was): give the leadership back now.
        await resign()
    }

    func waitForRecord() async -> ReplicaRecord? {
        while !Task.isCancelled {
            if let record = record() { return record }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// One lease's life: grant, register, then renew and campaign until the lease is lost.
    func epoch(record: ReplicaRecord, endpoint: Int) async throws {
        try await EtcdClient.withSession(connection, endpointIndex: endpoint) { session in
            if let previous = lease.current {
                // A lease from before a failure may still hold the leader key: give it back rather than wait.
                try? await session.revokeLease(previous)
            }
            let granted = try await session.grantLease(ttl: options.leaseTTL)
            lease.set(granted.id)
            state.leaseGranted(granted.id)
            state.renewed(at: .now)
            try await register(session, record: record, lease: granted.id)
            logger.info("registered", metadata: ["key": "\(registryKey)", "lease": "\(granted.id)"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await renew(session, lease: granted.id) }
                group.addTask { try await refreshRegistry(session, record: record, lease: granted.id) }
                group.addTask { try await campaign(session, lease: granted.id) }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
    }

    /// Writes the registry key (bound to the lease) and notes its revision as a watch-lag probe.
    func register(_ session: EtcdSession, record: ReplicaRecord, lease: Int64) async throws {
        let revision = try await session.put(registryKey, value: record.encoded(), lease: lease)
        state.probeWritten(revision: revision)
    }

    /// Renews the lease every third of its TTL; throws `LeaseLost` when etcd no longer has it or when no renewal
    /// succeeded for a whole TTL.
    func renew(_ session: EtcdSession, lease: Int64) async throws {
        var lastSent = ContinuousClock.now
        while true {
            try await Task.sleep(for: options.leaseTTL / 3)
            let sent = ContinuousClock.now
            do {
                let remaining = try await session.keepAlive(lease)
                guard remaining > 0 else { throw LeaseLost(reason: "etcd says lease \(lease) has expired") }
                lastSent = sent
                state.renewed(at: .now)
                state.failed(nil)
            } catch let error as LeaseLost {
                throw error
            } catch {
                try Task.checkCancellation()
                state.failed("renewing lease \(lease): \(error)")
                if ContinuousClock.now - lastSent >= options.leaseTTL {
                    throw LeaseLost(reason: "not renewed for \(options.leaseTTL): \(error)")
                }
            }
        }
    }

    /// Rewrites the registry key and lists the replicas, at each third of the TTL; failures only wait for the next.
    func refreshRegistry(_ session: EtcdSession, record: ReplicaRecord, lease: Int64) async throws {
        while true {
            do {
                let listing = try await session.list(prefix: registryPrefix)
                state.listed(
                    listing.keyValues.compactMap { keyValue in try? ReplicaRecord.decode(keyValue.value) }.sorted {
                        $0.id < $1.id
                    })
            } catch {
                try Task.checkCancellation()
            }
            try await Task.sleep(for: options.leaseTTL / 3)
            do {
                try await register(session, record: record, lease: lease)
            } catch {
                try Task.checkCancellation()
            }
        }
    }

    /// Campaigns for the leader key for as long as the lease lives: leads while it holds the key, and otherwise
    /// waits for the key to change.
    func campaign(_ session: EtcdSession, lease: Int64) async throws {
        let election = self.election
        while true {
            do {
                switch try await election.campaign(session, lease: lease, value: Array(state.id.utf8)) {
                case .won(let leadership):
                    if !state.isLeader {
                        logger.notice(
                            "elected leader",
                            metadata: [
                                "replica": "\(state.id)", "lease": "\(lease)",
                                "create-revision": "\(leadership.createRevision)",
                            ])
                    }
                    state.becameLeader(createRevision: leadership.createRevision)
                    try await lead(session, leadership: leadership)
                case .lost(let holder):
                    if state.isLeader { logger.notice("no longer the leader", metadata: ["replica": "\(state.id)"]) }
                    state.follows(String(decoding: holder.value, as: UTF8.self))
                    try await election.waitUntilChanged(session, after: holder.modRevision)
                }
            } catch {
                try Task.checkCancellation()
                if error is LeaderFence.Deposed {
                    logger.notice("deposed", metadata: ["replica": "\(state.id)"])
                    state.follows(nil)
                } else {
                    state.failed("\(error)")
                    logger.warning("campaign: \(error); retrying")
                }
                try await Task.sleep(for: options.retryDelay)
            }
        }
    }

    /// Runs the duties until the leader key changes (deposed) or a duty's fenced write is refused.
    func lead(_ session: EtcdSession, leadership: EtcdElection.Leadership) async throws {
        let fence = LeaderFence(session: session, leadership: leadership)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await election.waitUntilChanged(session, after: leadership.createRevision)
                throw LeaderFence.Deposed()
            }
            for duty in duties {
                group.addTask { try await perform(duty, fence: fence) }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Runs one duty, again after a pause when it fails for any reason but being deposed.
    func perform(_ duty: any LeaderDuty, fence: LeaderFence) async throws {
        while true {
            do {
                try await duty.run(fence)
                return
            } catch let deposed as LeaderFence.Deposed {
                throw deposed
            } catch {
                try Task.checkCancellation()
                logger.warning("duty \(duty.name) failed: \(error); retrying")
                try await Task.sleep(for: options.retryDelay)
            }
        }
    }

    /// Revokes the lease (graceful shutdown): etcd deletes the leader and registry keys with it.
    func resign() async {
        guard let current = lease.current else { return }
        do {
            try await EtcdClient.withAnySession(connection) { session in try await session.revokeLease(current) }
            logger.info("left the replica set", metadata: ["replica": "\(state.id)", "lease": "\(current)"])
        } catch {
            logger.warning("could not revoke lease \(current): \(error); its keys go when it expires")
        }
        state.follows(nil)
        state.leaseGranted(nil)
    }
}

/// The lease of the current epoch, shared by the service's tasks (and read again on shutdown).
final class LeaseHolder: Sendable {
    private let value = Mutex<Int64?>(nil)

    var current: Int64? { value.withLock { $0 } }

    func set(_ lease: Int64?) { value.withLock { $0 = lease } }
}
