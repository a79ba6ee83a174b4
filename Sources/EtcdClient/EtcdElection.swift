/// Leader election on one etcd key, as etcd's own `concurrency.Election` does it: the leader is whoever created the
/// key, the key is bound to the leader's lease, and every write a leader makes is fenced by a comparison on the key.
///
/// - `campaign` creates the key only if it is absent (`create_revision == 0`, one transaction), with the
///   candidate's lease; a loser learns who holds it.
/// - When the holder's lease ends (it died, or lost etcd for longer than the TTL) etcd deletes the key, and the
///   watchers (`waitUntilVacant`) campaign again.
/// - `fence` prefixes a transaction with comparisons on the key's create revision and lease: a leader that was
///   deposed meanwhile (its key deleted, another created) has its write refused as a whole, so two leaders never
///   both write.
///
/// Knows nothing of meshes; stateless (a value), so one election may be shared by tasks.
public struct EtcdElection: Sendable, Hashable {
    /// The campaign key, e.g. `/meshd/_leader`.
    public let key: String

    public init(key: String) {
        self.key = key
    }

    /// Proof of having won: the key's create revision and the lease it is bound to. Fences writes.
    public struct Leadership: Sendable, Hashable {
        public var key: String
        public var lease: Int64
        /// The revision that created the key: a later leader's key has a larger one, even with an equal lease ID.
        public var createRevision: Int64

        public init(key: String, lease: Int64, createRevision: Int64) {
            self.key = key
            self.lease = lease
            self.createRevision = createRevision
        }
    }

    /// What a campaign found.
    public enum Outcome: Sendable, Hashable {
        case won(Leadership)
        /// Someone else holds the key: its value (the holder's identity) and revisions, to watch from.
        case lost(holder: EtcdKeyValue)
    }

    /// One attempt to take the key with `lease`, writing `value` (the candidate's identity). A key this lease already
    /// holds (an earlier attempt whose answer was lost) counts as won.
    public func campaign(_ session: EtcdSession, lease: Int64, value: [UInt8]) async throws -> Outcome {
        let attempt = EtcdTransaction(
            comparisons: [.absent(key)], success: [.put(key, value: value, lease: lease)], failure: [.get(key)])
        let result = try await session.transaction(attempt)
        if result.succeeded {
            // The transaction's revision is the put's, which is the key's create revision.
            return .won(Leadership(key: key, lease: lease, createRevision: result.revision))
        }
        guard let holder = result.reads.first(where: { $0.key == key }) else {
            // Deleted between the comparison and the read cannot happen in one transaction; an empty read means the
            // key went away after it: try again.
            return try await campaign(session, lease: lease, value: value)
        }
        if holder.lease == lease {
            return .won(Leadership(key: key, lease: lease, createRevision: holder.createRevision))
        }
        return .lost(holder: holder)
    }

    /// The comparisons that hold only while `leadership` is current.
    public static func fence(_ leadership: Leadership) -> [EtcdTransaction.Comparison] {
        [
            .createRevision(leadership.key, equals: leadership.createRevision),
            .lease(leadership.key, equals: leadership.lease),
        ]
    }

    /// Runs `operations` only if `leadership` is still current, in one transaction. Returns false (and writes
    /// nothing) when it is not: the caller has been deposed.
    public static func fencedWrite(
        _ session: EtcdSession, leadership: Leadership, operations: [EtcdTransaction.Operation]
    ) async throws -> Bool {
        let transaction = EtcdTransaction(comparisons: fence(leadership), success: operations)
        return try await session.transaction(transaction).succeeded
    }

    /// Returns once the key no longer holds the value seen at `revision` (deleted, or created again by someone
    /// else): watches the key from `revision + 1`, so a deletion that happened just before the call is seen too.
    /// Throws when the watch breaks; the caller reads the key again.
    public func waitUntilChanged(
        _ session: EtcdSession, after revision: Int64, isolation: isolated (any Actor)? = #isolation
    ) async throws {
        let key = self.key
        try await session.watch(prefix: key, startRevision: revision + 1, progressNotify: false, isolation: isolation) {
            messages in
            for try await message in messages {
                guard case .events(let events, _) = message else { continue }
                if events.contains(where: { $0.keyValue.key == key }) { return }
            }
        }
    }
}
