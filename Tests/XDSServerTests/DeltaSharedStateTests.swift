import EnvoyAPI
import Logging
import Synchronization
import Testing
import XDSClient

@testable import XDSServer

/// Delta streams whose proxies hold exactly one set share that set's name → version dictionary, and the
/// difference to the next set is worked out once for all of them.
@Suite("Delta: shared held sets")
struct DeltaSharedStateTests {
    let cds = XDSType.cluster.rawValue
    let eds = XDSType.endpoint.rawValue

    func versions(_ resources: [XDSResource]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: resources.map { ($0.name, $0.version) })
    }

    func storage(_ dictionary: [String: String]?) -> Int? { dictionary.map { unsafeBitCast($0, to: Int.self) } }

    @Test func aProxyHoldingAWholeSetKeepsTheSharedDictionaryUntilSomethingDiffers() throws {
        let set = [try resource("a", "1"), try resource("b", "1")]
        let shared = versions(set)
        var stream = DeltaStream()
        _ = stream.received(.make(type: cds))
        let diff = stream.diff(.cluster, set)
        #expect(diff.wholeSet)
        #expect(
            diff.updated.withUnsafeBufferPointer { $0.baseAddress } == set.withUnsafeBufferPointer { $0.baseAddress },
            "a first sync sends the set's own array, not a per-stream copy")
        stream.sent(.cluster, diff, nonce: "n1")
        stream.holds(.cluster, set: "V1", versions: shared, wholeSet: diff.wholeSet)
        #expect(stream.heldSet(.cluster) == "V1")
        #expect(storage(stream.types[.cluster]?.known) == storage(shared), "the set's own dictionary, not a copy")

        // A push from V1 to a whole new set takes the new set's own dictionary, without editing (copying) the shared one.
        let moved = [try resource("a", "3"), try resource("b", "1")]
        let movedVersions = versions(moved)
        let step = stream.diff(.cluster, moved)
        #expect(step.updated.map(\.name) == ["a"])
        stream.sent(.cluster, step, nonce: "n1b", next: ("V1b", movedVersions))
        #expect(stream.heldSet(.cluster) == "V1b")
        #expect(storage(stream.types[.cluster]?.known) == storage(movedVersions))
        #expect(shared["a"] == set[0].version, "the dictionary other streams share is untouched")
        _ = stream.received(.make(type: cds, nonce: "n1b"))

        // A NACK of the next response restores the old content, which no longer is a whole set's.
        let next = [try resource("a", "2"), try resource("b", "1")]
        stream.sent(.cluster, stream.diff(.cluster, next), nonce: "n2")
        #expect(stream.heldSet(.cluster) == nil, "sent content is held only once `holds` confirms it")
        _ = stream.received(.make(type: cds, nonce: "n2", error: "bad"))
        stream.holds(.cluster, set: "V2", versions: versions(next), wholeSet: true)
        #expect(stream.heldSet(.cluster) == nil, "rejected content: the proxy does not hold V2")
        #expect(stream.types[.cluster]?.known["a"] == moved[0].version, "the accepted version is restored")
    }

    @Test func aSubscriptionNamingMoreOrLessThanTheSetHoldsNoSet() throws {
        let set = [try resource("x", "1"), try resource("y", "1")]
        var wider = DeltaStream()
        _ = wider.received(.make(type: eds, subscribe: ["x", "y", "missing"]))
        let diff = wider.diff(.endpoint, set)
        wider.sent(.endpoint, diff, nonce: "n1")
        wider.holds(.endpoint, set: "V1", versions: versions(set), wholeSet: diff.wholeSet)
        #expect(wider.heldSet(.endpoint) == nil, "it also holds the absence of `missing`")

        var narrower = DeltaStream()
        _ = narrower.received(.make(type: eds, subscribe: ["x"]))
        let partial = narrower.diff(.endpoint, set)
        #expect(!partial.wholeSet)
        narrower.sent(.endpoint, partial, nonce: "n1")
        narrower.holds(.endpoint, set: "V1", versions: versions(set), wholeSet: partial.wholeSet)
        #expect(narrower.heldSet(.endpoint) == nil)
    }

    /// A provider whose sets carry their version and dictionary, as meshd's cache does.
    final class VersionedProvider: ResourceProvider, Sendable {
        let clusters = Mutex<[XDSResource]>([])

        func admit(node: Envoy_Config_Core_V3_Node, peer: PeerInfo) throws -> String { node.id }
        func describe(_ client: String) -> String { client }
        func resources(_ type: XDSType, for client: String) async -> ResourceSet {
            let resources = type == .cluster ? clusters.withLock { $0 } : []
            return ResourceSet(
                generation: 1, resources: resources, version: XDSResource.setVersion(of: resources),
                versions: Dictionary(uniqueKeysWithValues: resources.map { ($0.name, $0.version) }))
        }
    }

    @Test(.timeLimit(.minutes(1))) func aPushToManyStreamsHoldingOneSetWorksItsDifferenceOutOnce() async throws {
        let provider = VersionedProvider()
        provider.clusters.withLock { $0 = (try? [resource("a", "1"), resource("b", "1"), resource("c", "1")]) ?? [] }
        let ads = ADSServer(provider: provider, logger: Logger(label: "test"))
        let count = 3
        var inputs: [AsyncStream<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest>.Continuation] = []
        var outputs: [AsyncStream<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse>] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                let (requests, requestsIn) = AsyncStream.makeStream(
                    of: Envoy_Service_Discovery_V3_DeltaDiscoveryRequest.self)
                let (responses, responsesIn) = AsyncStream.makeStream(
                    of: Envoy_Service_Discovery_V3_DeltaDiscoveryResponse.self)
                inputs.append(requestsIn)
                outputs.append(responses)
                group.addTask {
                    try await ads.serveDelta(requests: requests, peer: PeerInfo(remotePeer: "p\(index)")) {
                        responsesIn.yield($0.message)
                    }
                }
            }
            var iterators = outputs.map { $0.makeAsyncIterator() }
            for index in 0..<count {
                var node = Envoy_Config_Core_V3_Node()
                node.id = "proxy-\(index)"
                inputs[index].yield(.make(type: cds, node: node))
                let first = await iterators[index].next()
                #expect(first?.resources.count == 3)
                inputs[index].yield(.make(type: cds, nonce: first?.nonce ?? ""))
            }
            provider.clusters.withLock { $0 = (try? [resource("a", "2"), resource("b", "1")]) ?? [] }
            ads.pushAll()
            for index in 0..<count {
                let updated = await iterators[index].next()
                #expect(updated?.resources.map(\.name) == ["a"], "only the changed cluster")
                let removed = await iterators[index].next()
                #expect(removed?.removedResources == ["c"])
            }
            #expect(ads.deltaDiffs.count == 1, "one difference for three streams")
            for input in inputs { input.finish() }
            try await group.waitForAll()
        }
    }
}
