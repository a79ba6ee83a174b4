public import EnvoyAPI
public import Logging
import SwiftProtobuf

/// A generic aggregated xDS server, in the manner of go-control-plane: it knows type URLs, versions,
/// nonces, subscriptions, ACK and NACK, and asks a `ResourceProvider` for content. It knows nothing of
/// the mesh.
///
/// Thread-safe. One instance serves every stream; `pushAll()` may be called from any task.
public final class ADSServer<Provider: ResourceProvider>: Sendable {
    public typealias Request = Envoy_Service_Discovery_V3_DiscoveryRequest
    public typealias Response = Envoy_Service_Discovery_V3_DiscoveryResponse

    let provider: Provider
    let registry = ConnectionRegistry()
    let observer: any XDSEventObserver
    let logger: Logger
    /// Per-proxy sync state, for `/debug/syncz` and friends.
    public let status = SyncStatusStore()
    /// Identifies this control plane in every response.
    let controlPlaneID: String

    public init(provider: Provider, observer: any XDSEventObserver = NoXDSEventObserver(), controlPlaneID: String = "meshd", logger: Logger) {
        self.provider = provider
        self.observer = observer
        self.controlPlaneID = controlPlaneID
        self.logger = logger
    }

    /// Asks every connected proxy's stream to re-generate its resources and send what changed.
    public func pushAll() { registry.pushAll() }

    /// The number of open streams.
    public var connectionCount: Int { registry.count }

    /// Serves one SotW ADS stream until the proxy goes away. `write` sends one response on the stream.
    public func serveSotW<Requests: AsyncSequence & Sendable>(
        requests: Requests, peer: PeerInfo, write: @escaping @Sendable (Response) async throws -> Void
    ) async throws where Requests.Element == Request {
        let id = registry.makeID()
        let (events, continuation) = AsyncStream.makeStream(of: StreamEvent.self)
        defer {
            registry.unregister(id)
            status.remove(id)
            continuation.finish()
        }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                defer { continuation.finish() }
                for try await request in requests { continuation.yield(.request(RequestBox(request))) }
            }
            var session = SotWSession<Provider>(id: id, peer: peer)
            for await event in events {
                switch event {
                case .request(let box):
                    try await handle(box.value, session: &session, continuation: continuation, write: write)
                case .push:
                    try await push(session: &session, write: write)
                }
            }
            if session.client != nil {
                logger.info("proxy disconnected", metadata: ["proxy": "\(session.proxyName)", "connection": "\(id)"])
                observer.observe(.disconnected(proxy: session.proxyName, connection: id))
            }
        }
    }

    private func handle(
        _ request: Request, session: inout SotWSession<Provider>, continuation: AsyncStream<StreamEvent>.Continuation,
        write: @Sendable (Response) async throws -> Void
    ) async throws {
        if session.client == nil {
            guard request.hasNode else {
                throw XDSStreamError.missingNode
            }
            let client: Provider.Client
            do {
                client = try provider.admit(node: request.node, peer: session.peer)
            } catch {
                logger.warning("refused proxy", metadata: ["node": "\(request.node.id)", "reason": "\(error)"])
                throw XDSStreamError.refused("\(error)")
            }
            session.client = client
            session.proxyName = provider.describe(client)
            registry.register(session.id, continuation)
            logger.info("proxy connected", metadata: ["proxy": "\(session.proxyName)", "connection": "\(session.id)"])
            observer.observe(.connected(proxy: session.proxyName, connection: session.id))
        }
        guard let client = session.client else { return }
        switch session.stream.received(request) {
        case .respond(let type):
            let started = ContinuousClock.now
            let set = await provider.resources(type, for: client)
            let resources = session.stream.filter(set.resources, for: type)
            try await send(type, resources, generation: set.generation, trigger: .request, started: started, session: &session, write: write)
        case .acknowledged(let type, _):
            if let response = session.stream.types[type]?.lastSent {
                observer.observe(.acknowledged(proxy: session.proxyName, connection: session.id, type: type, response: response))
            }
        case .rejected(let type, let nack):
            let generation = session.stream.types[type]?.lastSent?.generation ?? 0
            observer.observe(.rejected(proxy: session.proxyName, connection: session.id, type: type, nack: nack, generation: generation))
            logger.warning(
                "proxy rejected config",
                metadata: [
                    "proxy": "\(session.proxyName)", "type": "\(type.shortName)", "version": "\(nack.version)", "change": "\(generation)",
                    "resources": "\(nack.resourceNames.joined(separator: ","))", "error": "\(nack.message)",
                ])
        case .ignoredStaleNonce:
            break
        case .unsupported(let typeURL):
            logger.debug("ignoring request for unsupported type", metadata: ["type": "\(typeURL)"])
        }
        publishStatus(session)
    }

    private func push(session: inout SotWSession<Provider>, write: @Sendable (Response) async throws -> Void) async throws {
        guard let client = session.client else { return }
        var sentTypes: [XDSType] = []
        var generation: UInt64 = 0
        for type in session.stream.subscribedTypes {
            let started = ContinuousClock.now
            let set = await provider.resources(type, for: client)
            generation = max(generation, set.generation)
            let resources = session.stream.filter(set.resources, for: type)
            let version = XDSResource.setVersion(of: resources)
            guard session.stream.shouldPush(type, version: version) else { continue }
            try await send(type, resources, generation: set.generation, trigger: .push, started: started, session: &session, write: write)
            sentTypes.append(type)
        }
        observer.observe(.pushEvaluated(proxy: session.proxyName, connection: session.id, generation: generation, sent: sentTypes))
        publishStatus(session)
    }

    private func send(
        _ type: XDSType, _ resources: [XDSResource], generation: UInt64, trigger: XDSEvent.Trigger, started: ContinuousClock.Instant,
        session: inout SotWSession<Provider>, write: @Sendable (Response) async throws -> Void
    ) async throws {
        let version = XDSResource.setVersion(of: resources)
        let nonce = session.nextNonce()
        var response = Response()
        response.typeURL = type.rawValue
        response.versionInfo = version
        response.nonce = nonce
        response.resources = resources.map(\.resource)
        response.controlPlane.identifier = controlPlaneID
        try await write(response)
        session.stream.sent(type, version: version, nonce: nonce, names: resources.map(\.name), generation: generation)
        if let sent = session.stream.types[type]?.lastSent {
            let bytes = resources.reduce(0) { $0 + $1.resource.value.count }
            observer.observe(
                .sent(
                    proxy: session.proxyName, connection: session.id, type: type, response: sent, trigger: trigger, bytes: bytes,
                    duration: ContinuousClock.now - started))
        }
        logger.debug(
            "pushed",
            metadata: [
                "proxy": "\(session.proxyName)", "type": "\(type.shortName)", "version": "\(version)", "resources": "\(resources.count)",
                "change": "\(generation)", "trigger": "\(trigger.rawValue)",
            ])
    }

    private func publishStatus(_ session: SotWSession<Provider>) {
        guard session.client != nil else { return }
        status.update(ProxySyncStatus(connectionID: session.id, proxy: session.proxyName, connectedAt: session.connectedAt, types: session.stream.types))
    }
}

/// Why a stream was refused.
public enum XDSStreamError: Error, CustomStringConvertible {
    case missingNode
    case refused(String)

    public var description: String {
        switch self {
        case .missingNode: "the first request on an ADS stream must carry the node"
        case .refused(let reason): "proxy refused: \(reason)"
        }
    }
}

/// Everything one SotW stream remembers.
struct SotWSession<Provider: ResourceProvider> {
    let id: UInt64
    let peer: PeerInfo
    let connectedAt = ContinuousClock.now
    var client: Provider.Client?
    var proxyName = ""
    var stream = SotWStream()
    private var nonceCounter: UInt64 = 0

    init(id: UInt64, peer: PeerInfo) {
        self.id = id
        self.peer = peer
    }

    /// A nonce unique on this stream and across streams of this process.
    mutating func nextNonce() -> String {
        nonceCounter += 1
        return "\(id)-\(nonceCounter)"
    }
}
