import EnvoyAPI
import Logging
import SwiftProtobuf
import Synchronization
import Testing
import XDSClient

@testable import XDSServer

/// Responses written from each resource's stored bytes must be, to any protobuf reader, the messages Envoy's own
/// types would have serialised.
@Suite("Prepared responses")
struct PreparedResponseTests {
    @Test func aSotWResponseReadsBackAsTheMessageItStandsFor() throws {
        // A resource over 127 bytes makes a two-byte length varint; an empty nonce is left out, as proto3 does.
        let resources = try [resource("a", String(repeating: "x", count: 300)), resource("b", "")]
        for nonce in ["7-1", ""] {
            let prepared = PreparedResponse(
                versionInfo: "v1", typeURL: XDSType.cluster.rawValue, nonce: nonce, controlPlaneID: "meshd-test",
                resources: resources)
            var expected = Envoy_Service_Discovery_V3_DiscoveryResponse()
            expected.versionInfo = "v1"
            expected.typeURL = XDSType.cluster.rawValue
            expected.nonce = nonce
            expected.controlPlane.identifier = "meshd-test"
            expected.resources = resources.map(\.resource)
            let bytes = prepared.serializedBytes
            #expect(bytes.count == prepared.wireSize)
            #expect(try Envoy_Service_Discovery_V3_DiscoveryResponse(serializedBytes: bytes) == expected)
            #expect(bytes == (try expected.serializedBytes() as [UInt8]), "field order and encoding as SwiftProtobuf's")
        }
    }

    @Test func aDeltaResponseReadsBackAsTheMessageItStandsFor() throws {
        let resources = try [resource("outbound|80||a.ns.svc.cluster.local", String(repeating: "y", count: 200))]
        let prepared = PreparedDeltaResponse(
            systemVersionInfo: "v9", typeURL: XDSType.endpoint.rawValue, nonce: "3-4", resources: resources,
            removedResources: ["gone", "also-gone"])
        var expected = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse()
        expected.systemVersionInfo = "v9"
        expected.typeURL = XDSType.endpoint.rawValue
        expected.nonce = "3-4"
        expected.removedResources = ["gone", "also-gone"]
        expected.resources = resources.map { resource in
            var wrapped = Envoy_Service_Discovery_V3_Resource()
            wrapped.name = resource.name
            wrapped.version = resource.version
            wrapped.resource = resource.resource
            return wrapped
        }
        #expect(prepared.serializedBytes.count == prepared.wireSize)
        #expect(prepared.message == expected)
    }

    @Test("strings are written byte for byte as SwiftProtobuf writes them: multi-byte UTF-8, long, and empty")
    func deltaResponseStringsAreExact() throws {
        // Names and versions are copied as whole UTF-8 runs: a wrong length or offset shows in the bytes.
        let long = String(repeating: "ü", count: 100)  // 200 bytes: a two-byte length varint
        let resources = try [
            resource("outbound|80||café.ns.svc.cluster.local", "z"), resource(long, ""), resource("b", "q"),
        ]
        let prepared = PreparedDeltaResponse(
            systemVersionInfo: "", typeURL: XDSType.cluster.rawValue, nonce: "n-ñ",
            resources: resources, removedResources: ["gone-é", "", String(long.prefix(3))])
        var expected = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse()
        expected.typeURL = XDSType.cluster.rawValue
        expected.nonce = "n-ñ"
        expected.removedResources = ["gone-é", "", String(long.prefix(3))]
        expected.resources = resources.map { resource in
            var wrapped = Envoy_Service_Discovery_V3_Resource()
            wrapped.name = resource.name
            wrapped.version = resource.version
            wrapped.resource = resource.resource
            return wrapped
        }
        let bytes = prepared.serializedBytes
        #expect(bytes.count == prepared.wireSize)
        #expect(bytes == (try expected.serializedBytes() as [UInt8]), "field order and encoding as SwiftProtobuf's")
    }

    @Test func aResourceKeepsItsAnyAndItsVersionFollowsTheBytes() throws {
        let a = try resource("a", "one")
        #expect(try Google_Protobuf_StringValue(unpackingAny: a.resource).value == "one")
        #expect(a.byteCount == a.encoded.count)
        #expect(try resource("a", "one") == a)
        #expect(try resource("a", "two").version != a.version)
        #expect(try resource("b", "one").version != a.version, "the name is part of the version")
    }
}

/// The response budget: bytes written and not yet answered, across streams.
@Suite("Response budget")
struct ResponseBudgetTests {
    @Test(.timeLimit(.minutes(1))) func aStreamHoldingNothingWaitsUntilAnAnswerFreesRoom() async throws {
        let budget = ResponseBudget(limit: 100)
        var first = BudgetLedger()
        await first.reserve(80, from: budget)
        first.written(nonce: "1-1", type: .cluster, supersedes: true)
        // A stream already holding bytes goes on (it may be finishing a sync its proxy waits for).
        await first.reserve(80, from: budget)
        first.written(nonce: "1-2", type: .endpoint, supersedes: true)
        #expect(budget.usage.held == 160)

        let admitted = Mutex(false)
        let waiter = Task {
            var second = BudgetLedger()
            await second.reserve(30, from: budget)
            admitted.withLock { $0 = true }
            return second.held
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!admitted.withLock { $0 }, "no room: the second stream waits")
        first.answered(nonce: "1-1", budget: budget)
        try await Task.sleep(for: .milliseconds(50))
        #expect(!admitted.withLock { $0 }, "bytes are given back only when nothing is left unanswered")
        first.answered(nonce: "1-2", budget: budget)
        #expect(await waiter.value == 30)
        #expect(budget.usage.held == 30)
        #expect(budget.usage.peak == 160)
    }

    @Test func aSupersededSotWResponseNeedsNoAnswerAndStaleNoncesFreeNothing() async {
        let budget = ResponseBudget(limit: 1_000)
        var ledger = BudgetLedger()
        await ledger.reserve(10, from: budget)
        ledger.written(nonce: "1-1", type: .cluster, supersedes: true)
        await ledger.reserve(10, from: budget)
        ledger.written(nonce: "1-2", type: .cluster, supersedes: true)
        await ledger.reserve(10, from: budget)
        ledger.written(nonce: "1-3", type: .listener, supersedes: true)
        ledger.answered(nonce: "1-2", budget: budget)
        #expect(budget.usage.held == 30, "LDS still unanswered")
        ledger.answered(nonce: "1-3", budget: budget)
        #expect(budget.usage.held == 0)
        #expect(ledger.held == 0)
    }

    @Test(.timeLimit(.minutes(1))) func aWaitingStreamThatIsCancelledLeavesTheQueue() async throws {
        let budget = ResponseBudget(limit: 10)
        budget.acquireNow(10)
        let waiter = Task { await budget.acquire(5) }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await waiter.value
        budget.release(10)
        #expect(budget.usage.held == 0, "the cancelled waiter took nothing")
    }

    /// Through the server: a proxy that never answers holds its bytes, so a second proxy waits for its first
    /// response until the first proxy ACKs; a disconnect gives everything back.
    @Test(.timeLimit(.minutes(1))) func anUnansweredProxyHoldsTheBudgetUntilItAcks() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["a": String(repeating: "z", count: 500)])
        let ads = ADSServer(
            provider: provider, options: ADSServerOptions(responseBudgetBytes: 100), logger: Logger(label: "test"))
        let (firstRequests, firstIn) = AsyncStream.makeStream(of: Envoy_Service_Discovery_V3_DiscoveryRequest.self)
        let (secondRequests, secondIn) = AsyncStream.makeStream(of: Envoy_Service_Discovery_V3_DiscoveryRequest.self)
        let (firstResponses, firstOut) = AsyncStream.makeStream(of: Envoy_Service_Discovery_V3_DiscoveryResponse.self)
        let (secondResponses, secondOut) = AsyncStream.makeStream(of: Envoy_Service_Discovery_V3_DiscoveryResponse.self)
        let cds = XDSType.cluster.rawValue
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await ads.serveSotW(requests: firstRequests, peer: PeerInfo(remotePeer: "one")) {
                    firstOut.yield($0.message)
                }
            }
            group.addTask {
                try await ads.serveSotW(requests: secondRequests, peer: PeerInfo(remotePeer: "two")) {
                    secondOut.yield($0.message)
                }
            }
            var first = firstResponses.makeAsyncIterator()
            var second = secondResponses.makeAsyncIterator()
            var node = Envoy_Config_Core_V3_Node()
            node.id = "one"
            firstIn.yield(.make(type: cds, node: node))
            let response = try #require(await first.next())
            #expect(
                ads.unansweredBytes.held > 100, "one response larger than the budget goes out when nothing else is held"
            )

            node.id = "two"
            secondIn.yield(.make(type: cds, node: node))
            try await Task.sleep(for: .milliseconds(200))
            #expect(
                ads.unansweredBytes.held == ads.unansweredBytes.peak, "the second proxy's response is not written yet")

            firstIn.yield(.make(type: cds, version: response.versionInfo, nonce: response.nonce))
            let secondResponse = try #require(await second.next())
            #expect(secondResponse.resources.count == 1)
            firstIn.finish()
            secondIn.finish()
            try await group.waitForAll()
        }
        #expect(ads.unansweredBytes.held == 0, "closed streams give their bytes back")
    }
}
