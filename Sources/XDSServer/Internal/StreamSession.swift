import EnvoyAPI
import Logging

/// What every ADS stream, SotW or Delta, keeps about the proxy on the other end.
protocol StreamSession<Client> {
    associatedtype Client
    var id: UInt64 { get }
    var peer: PeerInfo { get }
    var connectedAt: ContinuousClock.Instant { get }
    var streamProtocol: XDSStreamProtocol { get }
    var client: Client? { get set }
    var proxyName: String { get set }
    var slot: PushSlot? { get set }
    /// The stream's share of the server's response budget.
    var ledger: BudgetLedger { get set }
}

extension ADSServer {
    /// The life of one stream, shared by both protocols: requests and pushes are handled one at a time, in
    /// arrival order, on this task; on the way out, however the stream ends, the connection is unregistered and, if
    /// it was admitted, reported as disconnected.
    func runStream<Message: Sendable, Requests: AsyncSequence & Sendable, Session: StreamSession<Provider.Client>>(
        _ requests: Requests, session: inout Session,
        handle: (Message, inout Session, _ wake: @escaping @Sendable () -> Void) async throws -> Void,
        push: (PushRequest, inout Session) async throws -> Void
    ) async throws where Requests.Element == Message {
        // Every way out (a clean half-close, a reset, a transport error, a lost connection, a send timeout, a
        // refusal) passes here: the stream's registration, sync status, budget and observers' entries go with it.
        var ending = "closed by the proxy"
        defer {
            registry.unregister(session.id)
            registry.ended(session.id)
            session.ledger.releaseAll(to: budget)
            rejectionLog.forget(connection: session.id)
            if session.client != nil {
                logger.info(
                    "proxy disconnected",
                    metadata: ["proxy": "\(session.proxyName)", "connection": "\(session.id)", "reason": "\(ending)"])
                observer.observe(.disconnected(proxy: session.proxyName, connection: session.id))
            }
        }
        do {
            try await withStreamEvents(requests) { (events: AsyncStream<StreamEvent<Message>>, continuation) in
                registry.started(session.id) { continuation.yield(.close) }
                for await event in events {
                    switch event {
                    case .request(let box):
                        try await handle(box.value, &session, { continuation.yield(.push) })
                    case .push:
                        guard let request = session.slot?.take() else { continue }
                        try await push(request, &session)
                    case .close:
                        throw XDSStreamError.shuttingDown
                    }
                }
            }
        } catch {
            ending = "\(error)"
            throw error
        }
    }

    /// Admits the proxy on the stream's first request (throwing refuses the stream) and registers it for pushes.
    /// Later requests return the client admitted then.
    func admitted<Session: StreamSession<Provider.Client>>(
        _ node: Envoy_Config_Core_V3_Node?, session: inout Session, wake: @escaping @Sendable () -> Void,
        protocol name: String? = nil
    ) throws -> Provider.Client {
        if let client = session.client { return client }
        let client = try admit(node, peer: session.peer)
        session.client = client
        session.proxyName = provider.describe(client)
        session.slot = register(session, client: client, wake: wake)
        var metadata: Logger.Metadata = ["proxy": "\(session.proxyName)", "connection": "\(session.id)"]
        if let name { metadata["protocol"] = "\(name)" }
        logger.info("proxy connected", metadata: metadata)
        observer.observe(.connected(proxy: session.proxyName, connection: session.id))
        return client
    }
}
