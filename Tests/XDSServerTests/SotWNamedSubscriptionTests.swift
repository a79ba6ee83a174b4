import EnvoyAPI
import SwiftProtobuf
import Testing
import XDSServer

/// LDS and CDS subscriptions that name their resources, as a proxyless gRPC client makes them, and the names a
/// response reports missing (`resource_errors`).
@Suite struct SotWNamedSubscriptionTests {
    typealias Request = Envoy_Service_Discovery_V3_DiscoveryRequest

    func request(_ type: XDSType, names: [String], version: String = "", nonce: String = "") -> Request {
        var request = Request()
        request.typeURL = type.rawValue
        request.resourceNames = names
        request.versionInfo = version
        request.responseNonce = nonce
        return request
    }

    func resource(_ name: String) throws -> XDSResource {
        try XDSResource(name: name, resource: Google_Protobuf_Any(message: Google_Protobuf_StringValue(name)))
    }

    @Test("a named LDS subscription that grows with an ACK is answered again (a gRPC channel for a new target)")
    func namedListenersChange() {
        var stream = SotWStream()
        #expect(stream.received(request(.listener, names: ["a:1"])) == .respond(.listener))
        #expect(stream.types[.listener]?.wildcard == false)
        stream.sent(.listener, version: "v1", nonce: "n1", names: ["a:1"])
        #expect(
            stream.received(request(.listener, names: ["a:1", "b:2"], version: "v1", nonce: "n1"))
                == .respond(.listener))
        #expect(stream.types[.listener]?.names == ["a:1", "b:2"])
    }

    @Test("Envoy's wildcard CDS is unaffected: an ACK without names stays an ACK")
    func wildcardStays() {
        var stream = SotWStream()
        _ = stream.received(request(.cluster, names: []))
        stream.sent(.cluster, version: "v1", nonce: "n1", names: ["c"])
        #expect(
            stream.received(request(.cluster, names: [], version: "v1", nonce: "n1"))
                == .acknowledged(.cluster, version: "v1"))
        #expect(stream.types[.cluster]?.wildcard == true)
    }

    @Test("the missing names of a named subscription, and none for a wildcard one")
    func missingNames() throws {
        var stream = SotWStream()
        _ = stream.received(request(.listener, names: ["a:1", "zz:9", "b:2"]))
        #expect(stream.missing(from: [try resource("a:1")], for: .listener) == ["b:2", "zz:9"])
        _ = stream.received(request(.cluster, names: []))
        #expect(stream.missing(from: [], for: .cluster).isEmpty)
    }

    @Test("a response with resource errors encodes them as DiscoveryResponse.resource_errors, NOT_FOUND")
    func encodedErrors() throws {
        let response = PreparedResponse(
            versionInfo: "v", typeURL: XDSType.listener.rawValue, nonce: "n", controlPlaneID: "meshd",
            resources: [try resource("a:1")],
            resourceErrors: [MissingResource(name: "zz:9", reason: "no service zz is visible")])
        let message = response.message
        #expect(message.resources.count == 1)
        #expect(message.resourceErrors.count == 1)
        #expect(message.resourceErrors.first?.resourceName.name == "zz:9")
        #expect(message.resourceErrors.first?.errorDetail.code == 5)
        #expect(message.resourceErrors.first?.errorDetail.message == "no service zz is visible")
        #expect(response.serializedBytes.count == response.wireSize)
    }
}
