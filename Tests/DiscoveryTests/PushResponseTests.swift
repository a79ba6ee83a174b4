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

    @Test func sharingNamesKeepsTheSubscriptionExactlyAsRequested() throws {
        let resources = try ["outbound|80||a.ns.svc.cluster.local", "outbound|80||b.ns.svc.cluster.local"].map(resource)
        var stream = SotWStream()
        let requested: Set<String> = [resources[0].name, "outbound|80||unknown.ns.svc.cluster.local"]
        _ = stream.received(edsRequest(Array(requested)))
        stream.shareNames(with: resources, for: .endpoint)
        #expect(stream.types[.endpoint]?.names == requested, "no name added (b) and none lost (unknown)")
        let again = stream.received(edsRequest(Array(requested)))
        #expect(again == .respond(.endpoint), "a first request (no nonce) is answered")
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
    }
}

/// A provider that is never called: `SotWSession` only needs the type.
struct NoProvider: ResourceProvider {
    func admit(node: Envoy_Config_Core_V3_Node, peer: PeerInfo) throws -> Int { 0 }
    func resources(_ type: XDSType, for client: Int) async -> ResourceSet { ResourceSet(generation: 0, resources: []) }
    func describe(_ client: Int) -> String { "none" }
}
