/// An etcd transaction: if every comparison holds, the success operations run, else the failure ones; either way
/// atomically, as one revision.
public struct EtcdTransaction: Sendable, Hashable {
    /// A condition on one key.
    public enum Comparison: Sendable, Hashable {
        /// The key does not exist (its version is 0): create-if-absent.
        case absent(String)
        /// The key was last written at this revision (optimistic concurrency).
        case modRevision(String, equals: Int64)
        /// The key holds exactly this value.
        case value(String, equals: [UInt8])
        /// The key was created at this revision (0: it does not exist). Fences a leader's writes: a key deleted and
        /// created again has a new create revision.
        case createRevision(String, equals: Int64)
        /// The key is bound to this lease (0: to none).
        case lease(String, equals: Int64)
    }

    public enum Operation: Sendable, Hashable {
        case put(String, value: [UInt8], lease: Int64 = 0)
        case delete(String)
        /// Deletes every key starting with the prefix.
        case deletePrefix(String)
        /// Reads one key; its value comes back in `EtcdTransactionResult.reads`.
        case get(String)
    }

    public var comparisons: [Comparison]
    public var success: [Operation]
    public var failure: [Operation]

    public init(comparisons: [Comparison] = [], success: [Operation], failure: [Operation] = []) {
        self.comparisons = comparisons
        self.success = success
        self.failure = failure
    }
}

/// What a transaction did.
public struct EtcdTransactionResult: Sendable, Hashable {
    /// Whether the comparisons held (and the success operations ran).
    public var succeeded: Bool
    /// The store revision after the transaction.
    public var revision: Int64
    /// The keys read by `get` operations, in order (a missing key reads as nothing).
    public var reads: [EtcdKeyValue]
    /// How many keys the delete operations removed, in all.
    public var deleted: Int64

    public init(succeeded: Bool, revision: Int64, reads: [EtcdKeyValue] = [], deleted: Int64 = 0) {
        self.succeeded = succeeded
        self.revision = revision
        self.reads = reads
        self.deleted = deleted
    }
}
