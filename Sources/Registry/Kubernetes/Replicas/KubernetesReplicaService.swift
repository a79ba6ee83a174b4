import AsyncHTTPClient
package import Foundation
public import Logging
public import ServiceLifecycle

/// One replica's membership of the replica set on Kubernetes: its registry Lease, and leader election on a shared
/// Lease for the duties that must be done once. The counterpart of `EtcdReplicaService`.
///
/// - Registry: the Lease `meshd-replica-<id>` in the meshd namespace, labelled `meshd.io/role=replica`, holds
///   the replica's `ReplicaRecord` (xDS and admin addresses) in the annotation `meshd.io/replica`, and is renewed
///   every third of the lease duration. Replicas whose registry Lease was not renewed for its duration are not
///   listed; a replica that stops gracefully deletes its own.
/// - Election (`LeaseElection`): followers read the leader Lease every `retryPeriod` and take it when it is absent,
///   released, or unchanged for its duration. The leader renews it every `retryPeriod` (an update conditional on
///   the resourceVersion it last stored) and stops leading, cancelling its duties, when no renewal succeeded for
///   `renewDeadline` or when someone else holds the Lease. Duty writes go through a `KubernetesLeaderFence`.
/// - On graceful shutdown the leader releases the Lease (empty holder, as client-go's `ReleaseOnCancel`), so a
///   successor takes it at its next read instead of waiting for the duration. When the task is cancelled instead
///   (the test harness's crash), nothing is given back.
public struct KubernetesReplicaService: Service {
    public struct Options: Sendable {
        /// Where the Leases live: the namespace meshd runs in (istiod's is `istio-system`).
        public var namespace = "istio-system"
        /// The leader Lease's name.
        public var leaderLease = "meshd-leader"
        /// `leaseDurationSeconds`: a leader that died is replaced within it (plus one `retryPeriod`).
        public var leaseDuration: Duration = .seconds(10)
        /// The pause before a failed duty runs again.
        public var retryDelay: Duration = .seconds(1)

        public init(namespace: String = "istio-system", leaseDuration: Duration = .seconds(10)) {
            self.namespace = namespace
            self.leaseDuration = leaseDuration
        }

        /// How long the leader may go without a successful renewal before it stops leading: two thirds of the
        /// duration (client-go's defaults are 10 s of 15 s).
        public var renewDeadline: Duration { leaseDuration * 2 / 3 }
        /// How often the leader renews and followers read: a fifth of the duration.
        public var retryPeriod: Duration { leaseDuration / 5 }
        /// The timeout of each request: a sixth of the duration, so a write allowed by the fence ends before it.
        public var requestTimeout: Duration { leaseDuration / 6 }
    }

    /// The label and annotation of registry Leases.
    public static let roleLabel = "meshd.io/role"
    public static let recordAnnotation = "meshd.io/replica"
    /// The registry Lease of replica `id`.
    public static func registryLeaseName(_ id: String) -> String { "meshd-replica-\(id)" }

    public let connection: KubernetesConnection
    public let state: ReplicaState
    public let options: Options
    let duties: [any KubernetesLeaderDuty]
    let record: @Sendable () -> ReplicaRecord?
    let logger: Logger

    public init(
        connection: KubernetesConnection, state: ReplicaState, options: Options = Options(),
        duties: [any KubernetesLeaderDuty], logger: Logger, record: @escaping @Sendable () -> ReplicaRecord?
    ) {
        self.connection = connection
        self.state = state
        self.options = options
        self.duties = duties
        self.logger = logger
        self.record = record
    }

    public func run() async throws {
        let configuration = try KubernetesClient.configuration(for: connection)
        try await HTTPClient.withHTTPClient(configuration: configuration) { http in
            var client = KubernetesClient(http: http, connection: connection)
            client.userAgent = "meshd/\(state.id)"
            let leases = LeaseClient(client: client, timeout: options.requestTimeout)
            await cancelWhenGracefulShutdown {
                guard let record = await waitForRecord() else { return }
                logger.info(
                    "joining the replica set",
                    metadata: [
                        "replica": "\(state.id)", "lease": "\(options.namespace)/\(options.leaderLease)",
                        "lease-duration": "\(options.leaseDuration)", "server": "\(connection.server)",
                    ])
                await withDiscardingTaskGroup { group in
                    group.addTask { await register(leases, record: record) }
                    group.addTask { await elect(leases) }
                }
            }
            // Cancelled only on a graceful shutdown: give the leadership and the registry entry back.
            if !Task.isCancelled { await resign(leases) }
        }
    }

    func waitForRecord() async -> ReplicaRecord? {
        while !Task.isCancelled {
            if let record = record() { return record }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}

extension KubernetesReplicaService {
    /// Keeps this replica's registry Lease renewed and lists the live replicas, every third of the duration.
    func register(_ leases: LeaseClient, record: ReplicaRecord) async {
        let name = Self.registryLeaseName(state.id)
        var current: KubernetesLease?
        while !Task.isCancelled {
            do {
                var lease = current ?? KubernetesLease(namespace: options.namespace, name: name)
                if current == nil, let existing = try await leases.get(namespace: options.namespace, name: name) {
                    lease = existing
                }
                lease.labels[Self.roleLabel] = "replica"
                lease.labels["app"] = "meshd"
                lease.annotations[Self.recordAnnotation] = String(decoding: record.encoded(), as: UTF8.self)
                lease.holderIdentity = state.id
                lease.leaseDurationSeconds = Int(options.leaseDuration.components.seconds)
                lease.renewTime = Date()
                if lease.acquireTime == nil { lease.acquireTime = Date() }
                current = try await lease.resourceVersion.isEmpty ? leases.create(lease) : leases.update(lease)
            } catch {
                current = nil
                if Task.isCancelled { return }
                state.failed("registry lease \(options.namespace)/\(name): \(error)")
            }
            do {
                state.listed(try await Self.liveReplicas(leases, namespace: options.namespace))
            } catch {
                if Task.isCancelled { return }
            }
            try? await Task.sleep(for: options.leaseDuration / 3)
        }
    }

    /// The records of the registry Leases of `namespace` that are still held (renewed within their duration, by
    /// the writer's clock), sorted by id. A Lease whose annotation is not a record is skipped.
    package static func liveReplicas(
        _ leases: LeaseClient, namespace: String, now: Date = Date()
    ) async throws -> [ReplicaRecord] {
        let all = try await leases.list(namespace: namespace, labels: [roleLabel: "replica"])
        return all.filter { $0.isHeld(at: now) }.compactMap { lease in
            lease.annotations[recordAnnotation].flatMap { try? ReplicaRecord.decode(Array($0.utf8)) }
        }.sorted { $0.id < $1.id }
    }

    /// Campaigns for the leader Lease until cancelled: follows while another holds it, leads while this one does.
    func elect(_ leases: LeaseClient) async {
        var election = LeaseElection(
            namespace: options.namespace, name: options.leaderLease, identity: state.id,
            leaseDuration: options.leaseDuration)
        while !Task.isCancelled {
            if let sent = await attempt(&election, leases, renewing: nil) {
                await lead(&election, leases, acquiredAt: sent)
            }
            try? await Task.sleep(for: options.retryPeriod)
        }
    }

    /// One read-and-write round (or, with `renewing`, a renewal written straight from the Lease last stored).
    /// Returns when the winning request was sent, or nil when this replica does not hold the Lease.
    func attempt(
        _ election: inout LeaseElection, _ leases: LeaseClient, renewing: KubernetesLease?
    ) async -> ContinuousClock.Instant? {
        let sent = ContinuousClock.now
        do {
            let step: LeaseElection.Step
            if var lease = renewing {
                lease.renewTime = Date()
                step = .update(lease)
            } else {
                step = election.next(
                    read: try await leases.get(namespace: options.namespace, name: options.leaderLease),
                    now: .now)
            }
            switch step {
            case .wait(let holder):
                if state.isLeader { logger.notice("no longer the leader", metadata: ["replica": "\(state.id)"]) }
                state.follows(holder)
                return nil
            case .create(let lease):
                election.stored(try await leases.create(lease), at: .now)
            case .update(let lease):
                election.stored(try await leases.update(lease), at: .now)
            }
            state.renewed(at: .now)
            state.failed(nil)
            return sent
        } catch is LeaseClient.AlreadyExists {
            return nil
        } catch is LeaseClient.Conflict {
            return nil
        } catch {
            if !Task.isCancelled { state.failed("leader lease: \(error)") }
            return nil
        }
    }

    /// Leads from a successful acquisition until a renewal fails for `renewDeadline`, another holds the Lease, or
    /// the task is cancelled; the duties run meanwhile, fenced.
    func lead(_ election: inout LeaseElection, _ leases: LeaseClient, acquiredAt: ContinuousClock.Instant) async {
        let validity = LeadershipValidity(renewDeadline: options.renewDeadline)
        validity.renewed(sentAt: acquiredAt)
        let transitions = Int64(election.observed?.leaseTransitions ?? 0)
        logger.notice(
            "elected leader",
            metadata: [
                "replica": "\(state.id)", "lease": "\(options.namespace)/\(options.leaderLease)",
                "lease-transitions": "\(transitions)",
            ])
        state.becameLeader(createRevision: transitions)
        var client = leases.client
        client.userAgent = "meshd/\(state.id)"
        let fence = KubernetesLeaderFence(client: client, validity: validity, writeTimeout: options.requestTimeout)
        await withTaskGroup(of: Void.self) { group in
            for duty in duties {
                group.addTask { await perform(duty, fence: fence) }
            }
            var lastRenewal = acquiredAt
            while !Task.isCancelled {
                try? await Task.sleep(for: options.retryPeriod)
                if Task.isCancelled { break }
                // Renew from the Lease last stored; after a conflict, read it again.
                var renewed = await attempt(&election, leases, renewing: election.observed)
                if renewed == nil, election.observedHolder == state.id,
                    ContinuousClock.now - lastRenewal < options.renewDeadline
                {
                    renewed = await attempt(&election, leases, renewing: nil)
                }
                if let renewed {
                    lastRenewal = renewed
                    validity.renewed(sentAt: renewed)
                    continue
                }
                if election.observedHolder != state.id {
                    logger.notice("deposed: another replica holds the lease", metadata: ["replica": "\(state.id)"])
                    break
                }
                if ContinuousClock.now - lastRenewal >= options.renewDeadline {
                    logger.warning(
                        "could not renew the leader lease for \(options.renewDeadline); stepping down",
                        metadata: ["replica": "\(state.id)"])
                    break
                }
            }
            validity.revoke()
            group.cancelAll()
        }
        state.follows(election.observedHolder == state.id ? nil : election.observedHolder)
    }

    /// Runs one duty, again after a pause when it fails for any reason but the fence.
    func perform(_ duty: any KubernetesLeaderDuty, fence: KubernetesLeaderFence) async {
        while !Task.isCancelled {
            do {
                try await duty.run(fence)
                return
            } catch is KubernetesLeaderFence.Deposed {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("duty \(duty.name) failed: \(error); retrying")
                try? await Task.sleep(for: options.retryDelay)
            }
        }
    }

    /// Graceful shutdown: releases the leader Lease if this replica holds it, and deletes its registry Lease.
    func resign(_ leases: LeaseClient) async {
        do {
            if var lease = try await leases.get(namespace: options.namespace, name: options.leaderLease),
                lease.holderIdentity == state.id
            {
                lease.holderIdentity = ""
                lease.leaseDurationSeconds = 1
                lease.renewTime = Date()
                lease.acquireTime = Date()
                _ = try await leases.update(lease)
                logger.info("released the leader lease", metadata: ["replica": "\(state.id)"])
            }
        } catch {
            logger.warning("could not release the leader lease: \(error); it expires after its duration")
        }
        do {
            try await leases.delete(namespace: options.namespace, name: Self.registryLeaseName(state.id))
        } catch {
            logger.warning("could not delete the registry lease: \(error); it expires after its duration")
        }
        state.follows(nil)
    }
}
