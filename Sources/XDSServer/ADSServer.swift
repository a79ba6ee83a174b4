public import EnvoyAPI
public import Logging

/// A generic aggregated xDS server, in the manner of go-control-plane: it knows type URLs, versions,
/// nonces, subscriptions, ACK and NACK, and asks a `ResourceProvider` for content. It knows nothing of
/// the mesh. It serves State-of-the-World (`serveSotW`) and Delta (`serveDelta`) streams.
///
/// Thread-safe. One instance serves every stream; `push(_:)` may be called from any task and never waits
/// for a stream: each connection keeps one pending push (the latest, merged), generation runs under a
/// shared concurrency limit, and a write stuck past the send timeout closes that stream alone.
public final class ADSServer<Provider: ResourceProvider>: Sendable {
    public typealias Request = SotWRequest
    public typealias Response = Envoy_Service_Discovery_V3_DiscoveryResponse

    let provider: Provider
    /// Every admitted stream and what it was sent: the one record of who is connected.
    let registry: ConnectionRegistry<Provider.Client>
    let observer: any XDSEventObserver
    let logger: Logger
    let options: ADSServerOptions
    let limiter: PushLimiter
    /// Bytes written and not yet answered, across every stream.
    let budget: ResponseBudget
    /// EDS/RDS differences already worked out for another stream with the same contents.
    let changedSets = ChangedSetMemo()
    /// Delta responses already worked out for another stream holding the same set.
    let deltaDiffs = DeltaDiffMemo()
    /// Subscription name sets shared by streams that ask for the same names.
    let nameSets = NameSetInterner()
    /// Which NACKs are logged (a few per proxy a minute).
    let rejectionLog = RejectionLogLimiter()
    /// Per-proxy sync state, for `/debug/syncz` and friends (a view of `connections`).
    public let status: SyncStatusStore
    /// Identifies this control plane in every response.
    let controlPlaneID: String

    public init(
        provider: Provider, observer: any XDSEventObserver = NoXDSEventObserver(), controlPlaneID: String = "meshd",
        options: ADSServerOptions = ADSServerOptions(), logger: Logger
    ) {
        self.provider = provider
        let registry = provider.connectionRegistry ?? ConnectionRegistry()
        self.registry = registry
        self.status = SyncStatusStore(registry: registry)
        self.observer = observer
        self.controlPlaneID = controlPlaneID
        self.options = options
        self.limiter = PushLimiter(limit: options.pushConcurrency)
        self.budget = ResponseBudget(limit: options.responseBudgetBytes)
        self.logger = logger
    }

    /// Asks every connected proxy's stream to re-generate `request.types` and send what changed. Returns at
    /// once; streams that are still busy merge it into their pending push.
    public func push(_ request: PushRequest) { registry.push(request) }

    /// Asks every connected proxy's stream to re-generate every type and send what changed.
    public func pushAll() { push(.all) }

    /// Ends every stream with UNAVAILABLE, and every stream that opens from now on, so that proxies reconnect to
    /// another control plane; for graceful shutdown, after the listeners stop accepting. Returns at once.
    public func drain() {
        logger.info("draining: closing every ADS stream", metadata: ["streams": "\(registry.count)"])
        registry.drain()
    }

    /// The number of open streams.
    public var connectionCount: Int { registry.count }

    /// Every admitted connection, with what it was last sent and what it accepted, per type.
    public var connections: ConnectionRegistry<Provider.Client> { registry }

    /// Bytes of responses written and not yet answered by their proxies, now and at most.
    public var unansweredBytes: (held: Int, peak: Int) { budget.usage }

    /// The provider's resources of `type` for `client`, generated under the concurrency limit.
    func resources(_ type: XDSType, for client: Provider.Client) async -> ResourceSet {
        let provider = provider
        return await limiter.withPermit { await provider.resources(type, for: client) }
    }

    /// Admits the proxy of a stream's first request, or throws to refuse the stream.
    func admit(_ node: Envoy_Config_Core_V3_Node?, peer: PeerInfo) throws -> Provider.Client {
        guard let node else {
            observer.observe(
                .refused(node: "", peer: peer.remotePeer, reason: AdmissionError.Reason.invalidNode.rawValue))
            throw XDSStreamError.missingNode
        }
        do {
            return try provider.admit(node: node, peer: peer)
        } catch {
            let refusal = error as? AdmissionError ?? AdmissionError(.permissionDenied, "\(error)")
            logger.warning(
                "refused proxy",
                metadata: [
                    "node": "\(node.id)", "peer": "\(peer.remotePeer)", "kind": "\(refusal.reason.rawValue)",
                    "reason": "\(refusal.message)",
                ])
            observer.observe(.refused(node: node.id, peer: peer.remotePeer, reason: refusal.reason.rawValue))
            throw XDSStreamError.refused(refusal)
        }
    }

    /// Registers an admitted stream, for pushes and for everyone who reads who is connected; `wake` puts a push
    /// event on the stream's loop.
    func register<Session: StreamSession<Provider.Client>>(
        _ session: Session, client: Provider.Client, wake: @escaping @Sendable () -> Void
    ) -> PushSlot {
        let slot = PushSlot(wake: wake)
        let provider = provider
        let connection = XDSConnection(
            id: session.id, client: client, proxy: session.proxyName, remotePeer: session.peer.remotePeer,
            connectedAt: session.connectedAt, streamProtocol: session.streamProtocol)
        registry.register(
            connection, ConnectionRegistry.Pusher(slot: slot, scope: { provider.pushScope($0, for: client) }))
        return slot
    }

    /// Runs a stream's loop body with its events: requests read by a child task, pushes put by the registry.
    func withStreamEvents<Message: Sendable, Requests: AsyncSequence & Sendable>(
        _ requests: Requests,
        _ body: (AsyncStream<StreamEvent<Message>>, AsyncStream<StreamEvent<Message>>.Continuation) async throws -> Void
    ) async throws where Requests.Element == Message {
        let (events, continuation) = AsyncStream.makeStream(of: StreamEvent<Message>.self)
        defer { continuation.finish() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                defer { continuation.finish() }
                for try await request in requests { continuation.yield(.request(Box(request))) }
            }
            try await body(events, continuation)
        }
    }

    /// Writes one response under the send timeout, after taking room for it in the response budget; logs and
    /// rethrows when the proxy stopped reading.
    func write<Message: PreparedMessage, Session: StreamSession<Provider.Client>>(
        _ message: Message, type: XDSType, nonce: String, supersedes: Bool, session: inout Session,
        with write: @escaping @Sendable (Message) async throws -> Void
    ) async throws {
        await session.ledger.reserve(message.wireSize, from: budget)
        try await self.write(message, proxy: session.proxyName, connection: session.id, with: write)
        session.ledger.written(nonce: nonce, type: type, supersedes: supersedes)
    }

    /// Writes one response under the send timeout; logs and rethrows when the proxy stopped reading.
    func write<Message: Sendable>(
        _ message: Message, proxy: String, connection: UInt64,
        with write: @escaping @Sendable (Message) async throws -> Void
    ) async throws {
        do {
            try await timedWrite(message, timeout: options.sendTimeout, write: write)
        } catch let error as XDSStreamError {
            logger.warning(
                "closing stream: proxy stopped reading",
                metadata: ["proxy": "\(proxy)", "connection": "\(connection)", "reason": "\(error)"])
            throw error
        }
    }
}

/// How the server bounds its work: generation concurrency, the bytes in flight, and how long a write may wait on a
/// proxy.
public struct ADSServerOptions: Sendable {
    /// How many streams may generate resources at once.
    public var pushConcurrency: Int
    /// How long one write may wait for a proxy to read before its stream is closed; nil waits forever.
    public var sendTimeout: Duration?
    /// How many bytes of responses may be written and not yet answered (ACK or NACK) across all streams before a
    /// stream that holds none waits to write (`ResponseBudget`).
    public var responseBudgetBytes: Int

    /// How many bytes of a NACK's `error_detail` (and of its resource names) one log line carries.
    public var loggedNackBytes: Int

    public static let defaultResponseBudgetBytes = 128 << 20

    public init(
        pushConcurrency: Int = 16, sendTimeout: Duration? = .seconds(30),
        responseBudgetBytes: Int = Self.defaultResponseBudgetBytes,
        loggedNackBytes: Int = 1_024
    ) {
        self.loggedNackBytes = max(64, loggedNackBytes)
        self.pushConcurrency = max(1, pushConcurrency)
        self.sendTimeout = sendTimeout
        self.responseBudgetBytes = max(1, responseBudgetBytes)
    }
}

/// Why a stream was refused or closed.
public enum XDSStreamError: Error, CustomStringConvertible {
    case missingNode
    case refused(AdmissionError)
    /// A write waited longer than the send timeout: the proxy stopped reading.
    case sendTimeout(Duration)
    /// The server is shutting down (`ADSServer.drain()`).
    case shuttingDown

    public var description: String {
        switch self {
        case .missingNode: "the first request on an ADS stream must carry the node"
        case .refused(let refusal): "proxy refused: \(refusal.message)"
        case .sendTimeout(let timeout): "a response waited more than \(timeout) for the proxy to read it"
        case .shuttingDown: "meshd is shutting down; reconnect to another control plane"
        }
    }
}

/// A nonce unique on a stream and across streams of this process.
struct NonceSource {
    let connection: UInt64
    private var counter: UInt64 = 0

    init(connection: UInt64) { self.connection = connection }

    mutating func next() -> String {
        counter += 1
        return "\(connection)-\(counter)"
    }
}
