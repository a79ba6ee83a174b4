import Discovery
import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import MeshTestSupport
import Registry
import Synchronization
import Testing
import XDSClient
import XDSServer

/// Records every xDS event, for tests that check what observers (metrics, change tracking) were told.
final class XDSEventRecorder: XDSEventObserver, Sendable {
    private let events = Mutex<[XDSEvent]>([])

    func observe(_ event: XDSEvent) { events.withLock { $0.append(event) } }

    /// Connections announced connected and not (yet) disconnected: what `pilot_xds` counts.
    var openConnections: Set<UInt64> {
        events.withLock { events in
            var open: Set<UInt64> = []
            for event in events {
                if case .connected(_, let connection) = event { open.insert(connection) }
                if case .disconnected(_, let connection) = event { open.remove(connection) }
            }
            return open
        }
    }

    var refusals: [String] {
        events.withLock { $0.compactMap { if case .refused(_, _, let reason) = $0 { reason } else { nil } } }
    }
}

/// meshd's discovery stack in-process (provider, connected proxies, change tracking, an event recorder standing in
/// for metrics) behind a real gRPC server on 127.0.0.1.
struct DiscoveryStack: Sendable {
    let provider: MeshResourceProvider
    let ads: ADSServer<MeshResourceProvider>
    let tracker: ChangeTracker
    let recorder: XDSEventRecorder
    let port: Int

    static func with(
        options: ADSServerOptions = ADSServerOptions(), transport: XDSTransportSettings = XDSTransportSettings(),
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @Sendable (DiscoveryStack) async throws -> Void
    ) async throws {
        let store = ConfigStore(logger: logger)
        let provider = MeshResourceProvider(snapshot: store.snapshot())
        let tracker = ChangeTracker(capacity: 20)
        let recorder = XDSEventRecorder()
        let ads = ADSServer(
            provider: provider, observer: XDSEventFanOut([provider.connected, tracker, recorder]), options: options,
            logger: logger)
        let port = try MeshdProcess.freeLocalPort()
        let readiness = Readiness()
        let service = XDSGRPCService(
            address: .tcp(host: "127.0.0.1", port: port), provider: provider, ads: ads, readiness: readiness,
            transport: transport,
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            defer { group.cancelAll() }
            _ = try await Poll.until("the xDS server to listen", timeout: .seconds(10)) {
                readiness.pending.contains("xDS server not listening") ? nil : true
            }
            try await body(
                DiscoveryStack(provider: provider, ads: ads, tracker: tracker, recorder: recorder, port: port))
        }
    }

    /// Waits until no stream, connection entry or open connection event is left.
    func expectEverythingForgotten(_ what: String) async throws {
        _ = try await Poll.until("\(what): every trace of the stream to go", timeout: .seconds(10)) { () -> Bool? in
            ads.connectionCount == 0 && ads.status.all().isEmpty && provider.connected.all().isEmpty
                && recorder.openConnections.isEmpty && ads.unansweredBytes.held == 0 ? true : nil
        }
    }
}

func sidecarNode(_ pod: String) -> Envoy_Config_Core_V3_Node {
    var node = Envoy_Config_Core_V3_Node()
    node.id = "sidecar~10.0.0.1~\(pod).default~default.svc.cluster.local"
    return node
}

/// In-process checks of the clean end and of drain. Resets, killed and frozen clients are proven with real clients
/// (grpcio, Envoy) in E2ETests/StreamLifecycleTests: grpc-swift's own client, cancelled, ends its stream in a way
/// the server sees as a clean end, so it cannot reproduce them.
@Suite("Streams that end any way are forgotten")
struct StreamEndTests {
    @Test("a SotW stream its client half-closes is forgotten (the one way that always worked)")
    func halfClosedStreamIsForgotten() async throws {
        try await DiscoveryStack.with { stack in
            try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: stack.port)) { stream in
                stream.send(.make(type: XDSType.cluster.rawValue, node: sidecarNode("half-close")))
                var responses = stream.responses.makeAsyncIterator()
                _ = try await responses.next()
                stream.finish()
                while try await responses.next() != nil {}
            }
            try await stack.expectEverythingForgotten("after a half-close")
        }
    }

    @Test("drain ends every stream with UNAVAILABLE, forgets them, and refuses streams that open later")
    func drainEndsStreams() async throws {
        try await DiscoveryStack.with { stack in
            let clients = (0..<3).map { index in
                Task { () -> RPCError? in
                    do {
                        try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: stack.port)) { stream in
                            stream.send(.make(type: XDSType.cluster.rawValue, node: sidecarNode("drain-\(index)")))
                            for try await _ in stream.responses {}
                        }
                        return nil
                    } catch let error as RPCError {
                        return error
                    }
                }
            }
            _ = try await Poll.until("three proxies to connect", timeout: .seconds(10)) {
                stack.provider.connected.all().count == 3 ? true : nil
            }
            stack.ads.drain()
            for client in clients {
                let error = try await client.value
                #expect(error?.code == .unavailable, "\(String(describing: error))")
            }
            try await stack.expectEverythingForgotten("after drain")
            let late = await #expect(throws: RPCError.self) {
                try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: stack.port)) { stream in
                    stream.send(.make(type: XDSType.cluster.rawValue, node: sidecarNode("late")))
                    for try await _ in stream.responses {}
                }
            }
            #expect(late?.code == .unavailable)
        }
    }

    @Test("a node meshd cannot use is refused with INVALID_ARGUMENT, counted by reason, and leaves nothing behind")
    func invalidNodeIsRefusedAndCounted() async throws {
        try await DiscoveryStack.with { stack in
            var node = Envoy_Config_Core_V3_Node()
            node.id = "not-an-istio-node-id"
            let garbage = node
            let error = await #expect(throws: RPCError.self) {
                try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: stack.port)) { stream in
                    stream.send(.make(type: XDSType.cluster.rawValue, node: garbage))
                    for try await _ in stream.responses {}
                }
            }
            #expect(error?.code == .invalidArgument, "\(String(describing: error))")
            #expect(stack.recorder.refusals == ["invalid_node"])
            try await stack.expectEverythingForgotten("after a refusal")
        }
    }
}
