/// One key as etcd holds it, at the revision it was read.
public struct EtcdKeyValue: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]
    /// The revision that last wrote the key (for a deletion event, the revision of the deletion).
    public var modRevision: Int64
    public var createRevision: Int64
    /// Writes since creation; 0 for a deleted key.
    public var version: Int64
    public var lease: Int64

    public init(
        key: String, value: [UInt8], modRevision: Int64, createRevision: Int64 = 0, version: Int64 = 1, lease: Int64 = 0
    ) {
        self.key = key
        self.value = value
        self.modRevision = modRevision
        self.createRevision = createRevision
        self.version = version
        self.lease = lease
    }
}

/// One change a watch saw.
public struct EtcdEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case put
        case delete
    }

    public var kind: Kind
    public var keyValue: EtcdKeyValue

    public init(kind: Kind, keyValue: EtcdKeyValue) {
        self.kind = kind
        self.keyValue = keyValue
    }
}

/// One message of a watch stream, reduced to what a reader acts on.
public enum EtcdWatchMessage: Sendable, Hashable {
    /// The watch exists; events from its start revision follow.
    case created(headerRevision: Int64)
    /// Events in revision order: the events of one transaction arrive together.
    case events([EtcdEvent], headerRevision: Int64)
    /// Nothing changed up to this revision (a progress notification).
    case progress(revision: Int64)
}

/// The keys of a prefix, read at one revision.
public struct EtcdListing: Sendable, Hashable {
    public var keyValues: [EtcdKeyValue]
    /// The store revision the listing reflects: a watch from `revision + 1` misses nothing and repeats nothing.
    public var revision: Int64

    public init(keyValues: [EtcdKeyValue], revision: Int64) {
        self.keyValues = keyValues
        self.revision = revision
    }
}
