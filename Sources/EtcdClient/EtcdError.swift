/// What went wrong talking to etcd, named so that an operator can act on it.
public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `--etcd-endpoints` URL that cannot be used.
    case invalidEndpoint(String, reason: String)
    /// The revision asked for is older than etcd's compaction point; the caller must read again from the newest.
    case compacted(atRevision: Int64)
    /// etcd cancelled a watch for another reason than compaction.
    case watchCanceled(reason: String)
    /// The watch stream ended without an error (the member went away); the caller resumes.
    case watchEnded
    /// A call failed: which one, the gRPC status code, and etcd's message.
    case call(String, code: String, message: String)
    /// The user name and password were refused, or etcd asked for credentials that were not given.
    case authentication(String)
    /// TLS material that cannot be read.
    case tls(String)

    public var description: String {
        switch self {
        case .invalidEndpoint(let url, let reason): "etcd endpoint \"\(url)\": \(reason)"
        case .compacted(let revision): "etcd compacted the history up to revision \(revision)"
        case .watchCanceled(let reason): "etcd cancelled the watch: \(reason.isEmpty ? "no reason given" : reason)"
        case .watchEnded: "the etcd watch stream ended"
        case .call(let operation, let code, let message): "etcd \(operation) failed (\(code)): \(message)"
        case .authentication(let message): "etcd authentication: \(message)"
        case .tls(let message): "etcd TLS: \(message)"
        }
    }
}
