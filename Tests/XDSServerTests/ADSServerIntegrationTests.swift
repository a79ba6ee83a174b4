import EnvoyAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import SwiftProtobuf
import Synchronization
import Testing
import XDSClient
import XDSServer

/// A provider whose content the test sets: one resource per name, holding a string.
final class SettableProvider: ResourceProvider, Sendable {
    let content = Mutex<[XDSType: [String: String]]>([:])
    let admitted = Mutex<[String]>([])

    func set(_ type: XDSType, _ values: [String: String]) { content.withLock { $0[type] = values } }

    func admit(node: Envoy_Config_Core_V3_Node, peer: PeerInfo) throws -> String {
        guard !node.id.isEmpty else { throw RefusedNode() }
        admitted.withLock { $0.append(node.id) }
        return node.id
    }

    func describe(_ client: String) -> String { client }

    func resources(_ type: XDSType, for client: String) async -> ResourceSet {
        let values = content.withLock { $0[type] ?? [:] }
        let resources = values.keys.sorted().compactMap { name in
            var value = Google_Protobuf_StringValue()
            value.value = values[name] ?? ""
            return try? XDSResource(name: name, resource: Google_Protobuf_Any(message: value))
        }
        return ResourceSet(generation: 0, resources: resources)
    }

    struct RefusedNode: Error, CustomStringConvertible { var description: String { "empty node id" } }
}

/// Runs an ADS server over real gRPC on 127.0.0.1 (an ephemeral port) for the duration of `body`.
func withADSServer(
    _ provider: SettableProvider, _ body: @Sendable (ADSServer<SettableProvider>, Int) async throws -> Void
) async throws {
    let ads = ADSServer(provider: provider, logger: Logger(label: "test"))
    let transport = HTTP2ServerTransport.Posix(
        address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
    let server = GRPCServer(transport: transport, services: [AggregatedDiscoveryService(server: ads)])
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve() }
        guard let address = try await transport.listeningAddress.ipv4 else {
            Issue.record("server did not bind an IPv4 address")
            server.beginGracefulShutdown()
            return
        }
        do {
            try await body(ads, address.port)
        } catch {
            server.beginGracefulShutdown()
            throw error
        }
        server.beginGracefulShutdown()
        try await group.waitForAll()
    }
}

func node(_ id: String) -> Envoy_Config_Core_V3_Node {
    var node = Envoy_Config_Core_V3_Node()
    node.id = id
    return node
}

func stringValues(_ response: Envoy_Service_Discovery_V3_DiscoveryResponse) throws -> [String] {
    try response.resources.map { try Google_Protobuf_StringValue(unpackingAny: $0).value }
}

/// Reads the next response, failing the test if the stream ends first.
func nextResponse(
    _ iterator: inout AsyncThrowingStream<Envoy_Service_Discovery_V3_DiscoveryResponse, any Error>.Iterator
) async throws
    -> Envoy_Service_Discovery_V3_DiscoveryResponse
{
    guard let response = try await iterator.next() else { throw StreamEnded() }
    return response
}

struct StreamEnded: Error {}

@Suite struct ADSServerIntegrationTests {
    @Test func initialRequestAckPushNackAndNoResend() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["a": "one"])
        try await withADSServer(provider) { ads, port in
            try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                let cds = XDSType.cluster.rawValue
                stream.send(.make(type: cds, node: node("sidecar~10.0.0.1~a.default~default.svc.cluster.local")))
                let first = try await nextResponse(&responses)
                #expect(first.typeURL == cds)
                #expect(try stringValues(first) == ["one"])
                #expect(!first.nonce.isEmpty)
                stream.send(.make(type: cds, version: first.versionInfo, nonce: first.nonce))

                // New content is pushed, with a new version and a fresh nonce.
                provider.set(.cluster, ["a": "two"])
                ads.pushAll()
                let second = try await nextResponse(&responses)
                #expect(try stringValues(second) == ["two"])
                #expect(second.versionInfo != first.versionInfo)
                #expect(second.nonce != first.nonce)

                // Envoy rejects it.
                stream.send(.make(type: cds, version: first.versionInfo, nonce: second.nonce, error: "bad cluster a"))
                try await waitUntil { ads.status.all().first?.types[.cluster]?.lastNack != nil }
                // Pushing the same rejected content again must send nothing; the next thing the proxy sees is
                // the next new content.
                ads.pushAll()
                provider.set(.cluster, ["a": "three"])
                ads.pushAll()
                let third = try await nextResponse(&responses)
                #expect(try stringValues(third) == ["three"])
                stream.send(.make(type: cds, version: third.versionInfo, nonce: third.nonce))

                // The status store saw the NACK and then the ACK of the newer version.
                try await waitUntil { ads.status.all().first?.types[.cluster]?.ackedVersion == third.versionInfo }
                let status = try #require(ads.status.all().first)
                #expect(status.proxy == "sidecar~10.0.0.1~a.default~default.svc.cluster.local")
                let state = try #require(status.types[.cluster])
                #expect(state.lastNack?.message == "bad cluster a")
                #expect(state.lastNack?.version == second.versionInfo)
                #expect(state.lastNack?.resourceNames == ["a"])
                stream.finish()
            }
        }
    }

    @Test func endpointsAnswerTheSubscribedNamesOnly() async throws {
        let provider = SettableProvider()
        provider.set(.endpoint, ["c1": "e1", "c2": "e2", "c3": "e3"])
        try await withADSServer(provider) { _, port in
            try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                let eds = XDSType.endpoint.rawValue
                stream.send(
                    .make(
                        type: eds, names: ["c1", "nope"],
                        node: node("sidecar~10.0.0.2~b.default~default.svc.cluster.local")))
                let first = try await nextResponse(&responses)
                #expect(try stringValues(first) == ["e1"])
                // The ACK widens the subscription: the answer holds the new set.
                stream.send(.make(type: eds, names: ["c1", "c3"], version: first.versionInfo, nonce: first.nonce))
                let second = try await nextResponse(&responses)
                #expect(try stringValues(second) == ["e1", "e3"])
                stream.finish()
            }
        }
    }

    @Test func aStreamWithoutANodeIsRefused() async throws {
        let provider = SettableProvider()
        try await withADSServer(provider) { _, port in
            do {
                try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                    stream.send(.make(type: XDSType.cluster.rawValue))
                    for try await _ in stream.responses {}
                }
                Issue.record("expected the stream to fail")
            } catch {
                #expect("\(error)".contains("node"))
            }
        }
    }

    @Test func pushesFollowMakeBeforeBreakOrder() async throws {
        let provider = SettableProvider()
        for type in [XDSType.cluster, .endpoint, .listener, .route] { provider.set(type, ["x": "1"]) }
        try await withADSServer(provider) { ads, port in
            try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                let types: [XDSType] = [.route, .listener, .endpoint, .cluster]
                for (index, type) in types.enumerated() {
                    stream.send(
                        .make(
                            type: type.rawValue, names: type.isWildcard ? [] : ["x"],
                            node: index == 0 ? node("sidecar~10.0.0.3~c.default~default.svc.cluster.local") : nil))
                    let response = try await nextResponse(&responses)
                    stream.send(
                        .make(
                            type: type.rawValue, names: type.isWildcard ? [] : ["x"], version: response.versionInfo,
                            nonce: response.nonce))
                }
                for type in [XDSType.cluster, .endpoint, .listener, .route] { provider.set(type, ["x": "2"]) }
                ads.pushAll()
                var order: [String] = []
                for _ in 0..<4 { order.append(try await nextResponse(&responses).typeURL) }
                #expect(order == [XDSType.cluster, .endpoint, .listener, .route].map(\.rawValue))
                stream.finish()
            }
        }
    }

    /// A cluster swap (route x moves from cluster "old" to "new"): CDS first gains "new" while keeping "old", then
    /// routes and listeners change, and only then does CDS drop "old" — the removal goes last.
    @Test(.timeLimit(.minutes(1))) func removalsOfWildcardResourcesGoInReverseOrder() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["old": "c-old", "keep": "c-keep"])
        provider.set(.listener, ["l": "to-old"])
        provider.set(.route, ["r": "to-old"])
        try await withADSServer(provider) { ads, port in
            try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                let types: [XDSType] = [.cluster, .listener, .route]
                for (index, type) in types.enumerated() {
                    let names = type.isWildcard ? [] : ["r"]
                    stream.send(
                        .make(
                            type: type.rawValue, names: names,
                            node: index == 0 ? node("sidecar~10.0.0.4~d.default~default.svc.cluster.local") : nil))
                    let response = try await nextResponse(&responses)
                    stream.send(
                        .make(type: type.rawValue, names: names, version: response.versionInfo, nonce: response.nonce))
                }
                provider.set(.cluster, ["new": "c-new", "keep": "c-keep"])
                provider.set(.listener, ["l": "to-new"])
                provider.set(.route, ["r": "to-new"])
                ads.pushAll()
                var seen: [(type: String, values: [String])] = []
                for _ in 0..<4 {
                    let response = try await nextResponse(&responses)
                    seen.append((response.typeURL, try stringValues(response).sorted()))
                    stream.send(
                        .make(
                            type: response.typeURL, names: response.typeURL == XDSType.route.rawValue ? ["r"] : [],
                            version: response.versionInfo, nonce: response.nonce))
                }
                #expect(seen.map(\.type) == [XDSType.cluster, .listener, .route, .cluster].map(\.rawValue))
                #expect(seen.first?.values == ["c-keep", "c-new", "c-old"])
                #expect(seen.last?.values == ["c-keep", "c-new"])
                // Nothing else is due: the final CDS is what the provider holds.
                try await waitUntil {
                    ads.status.all().first?.types[.cluster]?.ackedVersion
                        == ads.status.all().first?.types[.cluster]?.lastSent?.version
                }
                stream.finish()
            }
        }
    }
}

/// Polls `condition` every 20 ms for at most `timeout`.
func waitUntil(timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
