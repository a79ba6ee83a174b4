import EnvoyAPI
import SwiftProtobuf
import Testing

@testable import XDSServer

/// What a SotW stream sends from a shared, cached resource set: the cached version when nothing is filtered out,
/// a fresh one when the subscription is narrower; and subscribed names that share storage with the set.
@Suite("Push engine: SotW responses from shared sets")
struct PushResponseTests {
    func resource(_ name: String) throws -> XDSResource {
        var value = Google_Protobuf_StringValue()
        value.value = "payload of \(name)"
        return try XDSResource(name: name, resource: Google_Protobuf_Any(message: value))
    }

    func edsRequest(_ names: [String]) -> Envoy_Service_Discovery_V3_DiscoveryRequest {
        var request = Envoy_Service_Discovery_V3_DiscoveryRequest()
        request.typeURL = XDSType.endpoint.rawValue
        request.resourceNames = names
        return request
    }

    @Test func aSubscriptionToEveryResourceReusesTheSetsVersion() throws {
        let resources = try ["outbound|80||a.ns.svc.cluster.local", "outbound|80||b.ns.svc.cluster.local"].map(resource)
        // A deliberately wrong precomputed version proves it is the one used, and not recomputed.
        let set = ResourceSet(generation: 1, resources: resources, version: "precomputed")
        var stream = SotWStream()
        _ = stream.received(edsRequest(resources.map(\.name) + ["outbound|80||unknown.ns.svc.cluster.local"]))
        let all = stream.response(from: set, for: .endpoint)
        #expect(all.resources == resources)
        #expect(all.version == "precomputed")

        var narrow = SotWStream()
        _ = narrow.received(edsRequest([resources[1].name]))
        let one = narrow.response(from: set, for: .endpoint)
        #expect(one.resources == [resources[1]])
        #expect(one.version == XDSResource.setVersion(of: [resources[1]]))
    }

    @Test func aCoveredSubscriptionIsRememberedOnlyUntilItChanges() throws {
        let names = ["outbound|80||a.ns.svc.cluster.local", "outbound|80||b.ns.svc.cluster.local"]
        let before = try names.map(resource)
        let set = ResourceSet(generation: 1, resources: before, namesDigest: XDSResource.namesDigest(of: before))
        var stream = SotWStream()
        _ = stream.received(edsRequest(names))
        let first = stream.response(from: set, for: .endpoint).resources
        #expect(first == before)
        #expect(
            first.withUnsafeBufferPointer { $0.baseAddress }
                == set.resources.withUnsafeBufferPointer { $0.baseAddress },
            "a subscription that wants everything gets the set's own array, not a per-stream copy")
        #expect(stream.types[.endpoint]?.coveredNames == set.namesDigest, "the covering subscription is remembered")
        stream.shareNames(for: .endpoint) { names, _ in names }
        #expect(stream.types[.endpoint]?.coveredNames == set.namesDigest, "sharing the names' storage keeps it")

        // The same names with new content (an endpoint change) are sent whole, unfiltered.
        let after = try names.map { name in
            var value = Google_Protobuf_StringValue()
            value.value = "moved: \(name)"
            return try XDSResource(name: name, resource: Google_Protobuf_Any(message: value))
        }
        let changed = ResourceSet(generation: 2, resources: after, namesDigest: XDSResource.namesDigest(of: after))
        #expect(changed.namesDigest == set.namesDigest)
        #expect(stream.response(from: changed, for: .endpoint).resources == after)

        // The proxy narrows its subscription in an ACK: what was covered no longer is.
        stream.sent(.endpoint, version: "v2", nonce: "n2", names: names)
        var narrower = edsRequest([names[1]])
        narrower.responseNonce = "n2"
        narrower.versionInfo = "v2"
        #expect(stream.received(narrower) == .respond(.endpoint))
        #expect(stream.types[.endpoint]?.coveredNames == nil)
        #expect(stream.response(from: changed, for: .endpoint).resources == [after[1]])
    }

    @Test func anAckRepeatingTheSubscriptionIsAnAckAndOneThatChangesItIsAnswered() throws {
        let names = ["outbound|80||a.ns.svc.cluster.local", "outbound|80||b.ns.svc.cluster.local"]
        var stream = SotWStream()
        #expect(stream.received(edsRequest(names)) == .respond(.endpoint))
        stream.sent(.endpoint, version: "v1", nonce: "n1", names: names)
        var ack = edsRequest(names)
        ack.responseNonce = "n1"
        ack.versionInfo = "v1"
        #expect(stream.received(ack) == .acknowledged(.endpoint, version: "v1"))
        // The same names in another order: the same subscription, still only an ACK.
        stream.sent(.endpoint, version: "v2", nonce: "n2", names: names)
        var reordered = edsRequest(names.reversed())
        reordered.responseNonce = "n2"
        reordered.versionInfo = "v2"
        #expect(stream.received(reordered) == .acknowledged(.endpoint, version: "v2"))
        // One more name: answered, and subscribed.
        stream.sent(.endpoint, version: "v3", nonce: "n3", names: names)
        var wider = edsRequest(names + ["outbound|80||c.ns.svc.cluster.local"])
        wider.responseNonce = "n3"
        wider.versionInfo = "v3"
        #expect(stream.received(wider) == .respond(.endpoint))
        #expect(stream.types[.endpoint]?.names == Set(wider.resourceNames))
    }

    @Test func streamsAskingForTheSameNamesShareOneSet() throws {
        let interner = NameSetInterner()
        let requested = ["outbound|80||a.ns.svc.cluster.local", "outbound|80||unknown.ns.svc.cluster.local"]
        var first = SotWStream()
        var second = SotWStream()
        _ = first.received(edsRequest(requested))
        _ = second.received(edsRequest(requested))
        first.shareNames(for: .endpoint) { interner.intern($0, digest: $1) }
        second.shareNames(for: .endpoint) { interner.intern($0, digest: $1) }
        let a = try #require(first.types[.endpoint]?.names)
        let b = try #require(second.types[.endpoint]?.names)
        #expect(a == Set(requested) && b == Set(requested), "no name added and none lost")
        #expect(a.withStorageIdentity == b.withStorageIdentity, "one storage for both streams")

        // A digest that collides with different names never hands out the wrong set.
        var third = SotWStream()
        _ = third.received(edsRequest([requested[0]]))
        third.shareNames(for: .endpoint) { names, _ in interner.intern(names, digest: SotWStream.digest(of: requested))
        }
        #expect(third.types[.endpoint]?.names == [requested[0]])
    }
}

extension Set {
    /// The address of the set's storage: equal for sets that share it.
    fileprivate var withStorageIdentity: Int {
        unsafeBitCast(self, to: Int.self)
    }
}

/// A SotW push of EDS or RDS carries only what changed since what the proxy holds.
@Suite("Push engine: SotW incremental EDS and RDS")
struct PushIncrementalTests {
    func resource(_ name: String, _ payload: String) throws -> XDSResource {
        var value = Google_Protobuf_StringValue()
        value.value = payload
        return try XDSResource(name: name, resource: Google_Protobuf_Any(message: value))
    }

    @Test func onlyChangedEndpointsAndRoutesAreSentAndOnlyWhenWhatTheProxyHoldsIsKnown() throws {
        var session = SotWSession<NoProvider>(id: 1, peer: PeerInfo(remotePeer: "test"))
        let before = try [resource("a", "1"), resource("b", "1"), resource("c", "1")]
        let after = try [resource("a", "1"), resource("b", "2"), resource("c", "1"), resource("d", "1")]
        #expect(session.changed(.endpoint, in: after) == nil, "nothing known: send everything")
        session.lastNamed[.endpoint] = before
        #expect(session.changed(.endpoint, in: after)?.map(\.name) == ["b", "d"])
        session.lastNamed[.route] = before
        #expect(session.changed(.route, in: after)?.map(\.name) == ["b", "d"])
        session.lastNamed[.secret] = before
        #expect(session.changed(.secret, in: after) == nil, "SDS is always sent whole")
        #expect(session.changed(.cluster, in: after) == nil, "CDS and LDS are full state in SotW")

        // The same names in the same order (compared position by position), and in another order.
        let same = try [resource("a", "1"), resource("b", "3"), resource("c", "1")]
        session.lastNamed[.endpoint] = before
        #expect(session.changed(.endpoint, in: same)?.map(\.name) == ["b"])
        #expect(session.changed(.endpoint, in: same.reversed())?.map(\.name) == ["b"])
        #expect(session.changed(.endpoint, in: before)?.isEmpty == true)
    }
}

/// Streams holding the same set and pushed the same new one share the work of finding what changed.
@Suite("Push engine: shared EDS/RDS differences")
struct ChangedSetMemoTests {
    @Test func aDifferenceIsWorkedOutOncePerPairOfContentsAndNilIsNotRemembered() throws {
        var value = Google_Protobuf_StringValue()
        value.value = "b"
        let changed = [try XDSResource(name: "b", resource: Google_Protobuf_Any(message: value))]
        let memo = ChangedSetMemo(capacity: 2)
        let key = ChangedSetKey(type: .endpoint, held: "v1", current: "v2")
        var computed = 0
        #expect(
            memo.changed(key) {
                computed += 1
                return changed
            } == changed)
        #expect(
            memo.changed(key) {
                computed += 1
                return []
            } == changed, "the same contents: the remembered difference")
        #expect(computed == 1)
        let other = ChangedSetKey(type: .route, held: "v1", current: "v2")
        #expect(
            memo.changed(other) {
                computed += 1
                return []
            } == [], "another type is another difference")
        #expect(memo.changed(ChangedSetKey(type: .endpoint, held: "v0", current: "v2")) { nil } == nil)
        #expect(memo.count <= 2, "bounded")
    }
}

/// A provider that is never called: `SotWSession` only needs the type.
struct NoProvider: ResourceProvider {
    func admit(node: Envoy_Config_Core_V3_Node, peer: PeerInfo) throws -> Int { 0 }
    func resources(_ type: XDSType, for client: Int) async -> ResourceSet { ResourceSet(generation: 0, resources: []) }
    func describe(_ client: Int) -> String { "none" }
}
