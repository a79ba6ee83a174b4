import EtcdAPI
import Foundation
public import GRPCCore
public import GRPCNIOTransportHTTP2

/// One connection to one etcd member, with the calls meshd makes: reads, transactions, compaction and leases
/// (`EtcdSession+Watch.swift` has the watch).
///
/// Every call but a watch is bounded by the connection's request timeout. Errors are `EtcdError`s.
/// A value type over a shared `GRPCClient`: copies share the connection, which lives as long as `withSession`.
public struct EtcdSession: Sendable {
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    public let endpoint: EtcdEndpoint
    let timeout: Duration
    /// The auth token, once authenticated.
    var metadata: Metadata = [:]

    init(client: GRPCClient<HTTP2ClientTransport.Posix>, endpoint: EtcdEndpoint, timeout: Duration) {
        self.client = client
        self.endpoint = endpoint
        self.timeout = timeout
    }

    var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        return options
    }

    var kv: Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix> { Etcdserverpb_KV.Client(wrapping: client) }

    /// The store's current revision (a cheap read of no key).
    public func currentRevision() async throws -> Int64 {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(Array("\u{0}".utf8))
        request.countOnly = true
        let response = try await call("range") { try await kv.range(request, metadata: metadata, options: callOptions) }
        return response.header.revision
    }

    /// Every key starting with `prefix`, read in pages of `pageSize` at one revision, so that the listing is one
    /// consistent moment of the store however long it is.
    public func list(prefix: String, pageSize: Int = 500) async throws -> EtcdListing {
        let end = EtcdKeys.rangeEnd(ofPrefix: Array(prefix.utf8))
        var items: [EtcdKeyValue] = []
        var start = Array(prefix.utf8)
        var revision: Int64 = 0
        while true {
            var request = Etcdserverpb_RangeRequest()
            request.key = Data(start)
            request.rangeEnd = Data(end)
            request.limit = Int64(max(pageSize, 1))
            request.revision = revision
            request.sortOrder = .ascend
            request.sortTarget = .key
            let response = try await call("range") {
                try await kv.range(request, metadata: metadata, options: callOptions)
            }
            if revision == 0 { revision = response.header.revision }
            items += response.kvs.map(EtcdKeyValue.init)
            guard response.more, let last = response.kvs.last else { break }
            start = EtcdKeys.successor(of: Array(last.key))
        }
        return EtcdListing(keyValues: items, revision: revision)
    }

    /// The keys (without values) starting with `prefix`.
    public func keys(prefix: String) async throws -> [String] {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(Array(prefix.utf8))
        request.rangeEnd = Data(EtcdKeys.rangeEnd(ofPrefix: Array(prefix.utf8)))
        request.keysOnly = true
        let response = try await call("range") { try await kv.range(request, metadata: metadata, options: callOptions) }
        return response.kvs.map { String(decoding: $0.key, as: UTF8.self) }
    }

    /// One key, or nil when it does not exist.
    public func get(_ key: String) async throws -> EtcdKeyValue? {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(Array(key.utf8))
        let response = try await call("range") { try await kv.range(request, metadata: metadata, options: callOptions) }
        return response.kvs.first.map(EtcdKeyValue.init)
    }

    /// Writes one key; returns the revision of the write.
    @discardableResult
    public func put(_ key: String, value: [UInt8], lease: Int64 = 0) async throws -> Int64 {
        var request = Etcdserverpb_PutRequest()
        request.key = Data(Array(key.utf8))
        request.value = Data(value)
        request.lease = lease
        return try await call("put") { try await kv.put(request, metadata: metadata, options: callOptions) }.header
            .revision
    }

    /// Deletes one key; returns how many keys were deleted (0 or 1).
    @discardableResult
    public func delete(_ key: String) async throws -> Int64 {
        var request = Etcdserverpb_DeleteRangeRequest()
        request.key = Data(Array(key.utf8))
        return try await call("delete") { try await kv.deleteRange(request, metadata: metadata, options: callOptions) }
            .deleted
    }

    /// Runs a transaction: its comparisons, then its success or failure operations, atomically.
    public func transaction(_ transaction: EtcdTransaction) async throws -> EtcdTransactionResult {
        let request = Etcdserverpb_TxnRequest(transaction)
        let response = try await call("txn") { try await kv.txn(request, metadata: metadata, options: callOptions) }
        var result = EtcdTransactionResult(succeeded: response.succeeded, revision: response.header.revision)
        for operation in response.responses {
            switch operation.response {
            case .responseRange(let range): result.reads += range.kvs.map(EtcdKeyValue.init)
            case .responseDeleteRange(let delete): result.deleted += delete.deleted
            default: break
            }
        }
        return result
    }

    /// Discards the history before `revision`: watches that start earlier are cancelled as compacted.
    public func compact(revision: Int64, physical: Bool = true) async throws {
        var request = Etcdserverpb_CompactionRequest()
        request.revision = revision
        request.physical = physical
        _ = try await call("compact") { try await kv.compact(request, metadata: metadata, options: callOptions) }
    }

    /// Grants a lease of `ttl`; returns its ID and the TTL etcd granted, in seconds.
    public func grantLease(ttl: Duration) async throws -> (id: Int64, ttlSeconds: Int64) {
        var request = Etcdserverpb_LeaseGrantRequest()
        request.ttl = max(ttl.components.seconds, 1)
        let response = try await call("lease grant") {
            try await Etcdserverpb_Lease.Client(wrapping: client).leaseGrant(
                request, metadata: metadata, options: callOptions)
        }
        guard response.error.isEmpty else {
            throw EtcdError.call("lease grant", code: "refused", message: response.error)
        }
        return (response.id, response.ttl)
    }

    /// Revokes a lease: the keys attached to it are deleted.
    public func revokeLease(_ id: Int64) async throws {
        var request = Etcdserverpb_LeaseRevokeRequest()
        request.id = id
        _ = try await call("lease revoke") {
            try await Etcdserverpb_Lease.Client(wrapping: client).leaseRevoke(
                request, metadata: metadata, options: callOptions)
        }
    }

    /// Renews a lease once; returns its remaining TTL in seconds (0 or less: it had expired).
    public func keepAlive(_ id: Int64) async throws -> Int64 {
        var renewal = Etcdserverpb_LeaseKeepAliveRequest()
        renewal.id = id
        let request = renewal
        return try await call("lease keepalive") {
            try await Etcdserverpb_Lease.Client(wrapping: client).leaseKeepAlive(
                metadata: metadata, options: callOptions,
                requestProducer: { writer in try await writer.write(request) },
                onResponse: { response in
                    for try await message in response.messages { return message.ttl }
                    throw RPCError(code: .unavailable, message: "the keepalive stream ended without an answer")
                })
        }
    }

    func authenticate(_ credentials: EtcdConnection.Credentials) async throws -> String {
        var request = Etcdserverpb_AuthenticateRequest()
        request.name = credentials.user
        request.password = credentials.password
        do {
            return try await Etcdserverpb_Auth.Client(wrapping: client).authenticate(request, options: callOptions)
                .token
        } catch let error as RPCError where error.code != .unavailable && error.code != .deadlineExceeded {
            throw EtcdError.authentication("user \(credentials.user): \(error.message)")
        } catch let error as RPCError {
            throw EtcdError.call("authenticate", code: "\(error.code)", message: error.message)
        }
    }

    /// Runs one call, turning gRPC errors into `EtcdError`s (a compacted revision into `.compacted`).
    func call<Response: Sendable>(_ operation: String, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as RPCError {
            if error.message.contains("required revision has been compacted") {
                throw EtcdError.compacted(atRevision: 0)
            }
            if error.code == .unauthenticated || error.message.contains("invalid auth token") {
                throw EtcdError.authentication("\(operation): \(error.message)")
            }
            throw EtcdError.call(operation, code: "\(error.code)", message: error.message)
        }
    }
}

extension EtcdKeyValue {
    init(_ kv: Mvccpb_KeyValue) {
        self.init(
            key: String(decoding: kv.key, as: UTF8.self), value: Array(kv.value), modRevision: kv.modRevision,
            createRevision: kv.createRevision, version: kv.version, lease: kv.lease)
    }
}

extension Etcdserverpb_TxnRequest {
    init(_ transaction: EtcdTransaction) {
        self.init()
        compare = transaction.comparisons.map(Etcdserverpb_Compare.init)
        success = transaction.success.map(Etcdserverpb_RequestOp.init)
        failure = transaction.failure.map(Etcdserverpb_RequestOp.init)
    }
}

extension Etcdserverpb_Compare {
    init(_ comparison: EtcdTransaction.Comparison) {
        self.init()
        result = .equal
        switch comparison {
        case .absent(let key):
            self.key = Data(Array(key.utf8))
            target = .version
            targetUnion = .version(0)
        case .modRevision(let key, let revision):
            self.key = Data(Array(key.utf8))
            target = .mod
            targetUnion = .modRevision(revision)
        case .value(let key, let value):
            self.key = Data(Array(key.utf8))
            target = .value
            targetUnion = .value(Data(value))
        case .createRevision(let key, let revision):
            self.key = Data(Array(key.utf8))
            target = .create
            targetUnion = .createRevision(revision)
        case .lease(let key, let lease):
            self.key = Data(Array(key.utf8))
            target = .lease
            targetUnion = .lease(lease)
        }
    }
}

extension Etcdserverpb_RequestOp {
    init(_ operation: EtcdTransaction.Operation) {
        self.init()
        switch operation {
        case .put(let key, let value, let lease):
            var put = Etcdserverpb_PutRequest()
            put.key = Data(Array(key.utf8))
            put.value = Data(value)
            put.lease = lease
            request = .requestPut(put)
        case .delete(let key):
            var delete = Etcdserverpb_DeleteRangeRequest()
            delete.key = Data(Array(key.utf8))
            request = .requestDeleteRange(delete)
        case .deletePrefix(let prefix):
            var delete = Etcdserverpb_DeleteRangeRequest()
            delete.key = Data(Array(prefix.utf8))
            delete.rangeEnd = Data(EtcdKeys.rangeEnd(ofPrefix: Array(prefix.utf8)))
            request = .requestDeleteRange(delete)
        case .get(let key):
            var range = Etcdserverpb_RangeRequest()
            range.key = Data(Array(key.utf8))
            request = .requestRange(range)
        }
    }
}
