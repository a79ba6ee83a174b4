import EnvoyAPI
import SwiftProtobuf
import Testing
import XDSServer

/// The SotW protocol, request by request, with no sockets.
@Suite struct SotWStreamTests {
    typealias Request = Envoy_Service_Discovery_V3_DiscoveryRequest

    func request(
        _ type: XDSType, names: [String] = [], version: String = "", nonce: String = "", error: String? = nil
    ) -> Request {
        var request = Request()
        request.typeURL = type.rawValue
        request.resourceNames = names
        request.versionInfo = version
        request.responseNonce = nonce
        if let error {
            request.errorDetail.code = 3
            request.errorDetail.message = error
        }
        return request
    }

    func resource(_ name: String, _ payload: String) throws -> XDSResource {
        var value = Google_Protobuf_StringValue()
        value.value = payload
        return try XDSResource(name: name, resource: Google_Protobuf_Any(message: value))
    }

    @Test func firstRequestForATypeIsAnswered() {
        var stream = SotWStream()
        #expect(stream.received(request(.cluster)) == .respond(.cluster))
        #expect(stream.types[.cluster]?.wildcard == true)
    }

    @Test func ackRecordsTheAcceptedVersionAndSendsNothing() {
        var stream = SotWStream()
        _ = stream.received(request(.cluster))
        stream.sent(.cluster, version: "v1", nonce: "n1", names: ["a"])
        #expect(
            stream.received(request(.cluster, version: "v1", nonce: "n1")) == .acknowledged(.cluster, version: "v1"))
        #expect(stream.types[.cluster]?.ackedVersion == "v1")
        #expect(stream.shouldPush(.cluster, version: "v1") == false)
        #expect(stream.shouldPush(.cluster, version: "v2") == true)
    }

    @Test func nackKeepsTheLastAcceptedVersionAndNeverResendsTheRejectedContent() {
        var stream = SotWStream()
        _ = stream.received(request(.listener))
        stream.sent(.listener, version: "good", nonce: "n1", names: ["l1"])
        _ = stream.received(request(.listener, version: "good", nonce: "n1"))
        stream.sent(.listener, version: "bad", nonce: "n2", names: ["l1", "l2"])
        let action = stream.received(request(.listener, version: "good", nonce: "n2", error: "duplicate listener l2"))
        guard case .rejected(.listener, let nack) = action else {
            Issue.record("expected a rejection, got \(action)")
            return
        }
        #expect(nack.version == "bad")
        #expect(nack.message == "duplicate listener l2")
        #expect(nack.resourceNames == ["l1", "l2"])
        #expect(stream.types[.listener]?.ackedVersion == "good")
        // The same content again is not pushed (no resend loop); new content is.
        #expect(stream.shouldPush(.listener, version: "bad") == false)
        #expect(stream.shouldPush(.listener, version: "fixed") == true)
        // Going back to the accepted content is also new relative to what was last sent.
        #expect(stream.shouldPush(.listener, version: "good") == true)
    }

    @Test func rejectedContentStaysRefusedEvenAfterNewerContentWasAccepted() {
        var stream = SotWStream()
        _ = stream.received(request(.cluster))
        stream.sent(.cluster, version: "v1", nonce: "n1", names: [])
        _ = stream.received(request(.cluster, version: "", nonce: "n1", error: "bad"))
        stream.sent(.cluster, version: "v2", nonce: "n2", names: [])
        #expect(
            stream.received(request(.cluster, version: "v2", nonce: "n2")) == .acknowledged(.cluster, version: "v2"))
        // The mesh flips back to the content the proxy rejected: it is not sent again.
        #expect(stream.shouldPush(.cluster, version: "v1") == false)
        #expect(stream.types[.cluster]?.lastNack?.version == "v1")
    }

    @Test func staleNonceIsIgnored() {
        var stream = SotWStream()
        _ = stream.received(request(.cluster))
        stream.sent(.cluster, version: "v1", nonce: "n1", names: [])
        stream.sent(.cluster, version: "v2", nonce: "n2", names: [])
        #expect(stream.received(request(.cluster, version: "v1", nonce: "n1")) == .ignoredStaleNonce(.cluster))
        #expect(stream.types[.cluster]?.ackedVersion == nil)
    }

    @Test func endpointSubscriptionChangeIsAnsweredAndFiltered() throws {
        var stream = SotWStream()
        #expect(stream.received(request(.endpoint, names: ["a"])) == .respond(.endpoint))
        let all = [try resource("a", "1"), try resource("b", "2"), try resource("c", "3")]
        #expect(stream.filter(all, for: .endpoint).map(\.name) == ["a"])
        stream.sent(.endpoint, version: "v1", nonce: "n1", names: ["a"])
        // The ACK carries a new set of names: answer with the new set.
        #expect(
            stream.received(request(.endpoint, names: ["a", "c"], version: "v1", nonce: "n1")) == .respond(.endpoint))
        #expect(stream.filter(all, for: .endpoint).map(\.name) == ["a", "c"])
    }

    @Test func unknownNamesGetAnEmptyAnswerNotAnError() throws {
        var stream = SotWStream()
        #expect(stream.received(request(.route, names: ["nope"])) == .respond(.route))
        #expect(stream.filter([try resource("9080", "x")], for: .route).isEmpty)
    }

    @Test func typesNeverRequestedAreNeverPushed() {
        var stream = SotWStream()
        _ = stream.received(request(.cluster))
        #expect(stream.shouldPush(.listener, version: "v1") == false)
        #expect(stream.subscribedTypes == [.cluster])
    }

    @Test func pushOrderIsClustersEndpointsListenersRoutes() {
        var stream = SotWStream()
        for type in [XDSType.route, .listener, .endpoint, .cluster] { _ = stream.received(request(type)) }
        #expect(stream.subscribedTypes == [.cluster, .endpoint, .listener, .route])
    }

    @Test func unsupportedTypeURLIsReported() {
        var stream = SotWStream()
        var bad = Request()
        bad.typeURL = "type.googleapis.com/envoy.Nope"
        #expect(stream.received(bad) == .unsupported("type.googleapis.com/envoy.Nope"))
    }

    @Test func versionIsAContentHashIndependentOfOrder() throws {
        let a = try resource("a", "1")
        let b = try resource("b", "2")
        #expect(XDSResource.setVersion(of: [a, b]) == XDSResource.setVersion(of: [b, a]))
        #expect(XDSResource.setVersion(of: [a, b]) != XDSResource.setVersion(of: [a, try resource("b", "3")]))
        // Stable across processes: a fixed input has a fixed version.
        #expect(try resource("a", "1").version == resource("a", "1").version)
    }
}
