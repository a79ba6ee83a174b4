public import EtcdClient

/// A job that must be done once for the whole replica set, so only the leader runs it (`EtcdReplicaService`).
///
/// `run` is called each time this replica becomes leader and cancelled when it stops being leader. Every write goes
/// through the fence, which refuses it once the leadership is gone; `run` then ends with `LeaderFence.Deposed`.
/// Other errors (etcd unreachable) are logged and `run` is called again after a pause, while the leadership lasts.
public protocol LeaderDuty: Sendable {
    /// Shown in `/debug/replicas` and the logs.
    var name: String { get }
    func run(_ fence: LeaderFence) async throws
}

/// The leader's access to etcd for its duties: reads, and writes that succeed only while its leadership is current
/// (`EtcdElection.fence`: the leader key's create revision and lease).
public struct LeaderFence: Sendable {
    /// A fenced write was refused: another replica leads now, or the lease expired.
    public struct Deposed: Error, CustomStringConvertible {
        public var description: String { "no longer the leader: the fenced write was refused" }
    }

    let session: EtcdSession
    public let leadership: EtcdElection.Leadership

    public init(session: EtcdSession, leadership: EtcdElection.Leadership) {
        self.session = session
        self.leadership = leadership
    }

    /// Every key under `prefix` (no fence needed to read).
    public func list(prefix: String) async throws -> EtcdListing {
        try await session.list(prefix: prefix)
    }

    /// Runs `operations` in one transaction if the leadership is still current; throws `Deposed` otherwise (nothing
    /// is written).
    public func write(_ operations: [EtcdTransaction.Operation]) async throws {
        guard !operations.isEmpty else { return }
        guard try await EtcdElection.fencedWrite(session, leadership: leadership, operations: operations) else {
            throw Deposed()
        }
    }
}
