import EnvoyAPI
import SwiftProtobuf
import Testing
import XDSClient
import XDSServer

/// A resource named `name` holding the string `value`.
func resource(_ name: String, _ value: String) throws -> XDSResource {
    var message = Google_Protobuf_StringValue()
    message.value = value
    return try XDSResource(name: name, resource: Google_Protobuf_Any(message: message))
}

/// The Delta protocol state machine, request by request, with no sockets.
@Suite("DeltaStream")
struct DeltaStreamTests {
    let cds = XDSType.cluster.rawValue
    let eds = XDSType.endpoint.rawValue

    @Test func emptyFirstRequestSubscribesToEveryClusterAndAnAckSettlesIt() throws {
        var stream = DeltaStream()
        #expect(stream.received(.make(type: cds)) == .handled(.cluster, reply: .none, respond: true))
        let a = try resource("a", "1")
        let b = try resource("b", "1")
        let diff = stream.diff(.cluster, [a, b])
        #expect(diff.updated == [a, b])
        #expect(diff.removed.isEmpty)
        let sent = stream.sent(.cluster, diff, nonce: "n1", generation: 3)
        #expect(stream.diff(.cluster, [a, b]).isEmpty, "nothing is re-sent once the proxy holds it")
        #expect(
            stream.received(.make(type: cds, nonce: "n1"))
                == .handled(.cluster, reply: .acknowledged(sent), respond: false))
        #expect(stream.status[.cluster]?.ackedVersion == diff.version)
    }

    @Test func aChangeSendsOnlyTheChangedResourceAndRemovals() throws {
        var stream = DeltaStream()
        _ = stream.received(.make(type: cds))
        let a = try resource("a", "1")
        let b = try resource("b", "1")
        stream.sent(.cluster, stream.diff(.cluster, [a, b]), nonce: "n1")
        _ = stream.received(.make(type: cds, nonce: "n1"))
        let a2 = try resource("a", "2")
        let c = try resource("c", "1")
        let diff = stream.diff(.cluster, [a2, c])
        #expect(diff.updated == [a2, c])
        #expect(diff.removed == ["b"])
    }

    @Test func explicitSubscriptionsAnswerOnlyNamesAskedForAndReportUnknownNamesAsRemoved() throws {
        var stream = DeltaStream()
        #expect(
            stream.received(.make(type: eds, subscribe: ["x", "missing"]))
                == .handled(.endpoint, reply: .none, respond: true))
        let x = try resource("x", "1")
        let y = try resource("y", "1")
        let diff = stream.diff(.endpoint, [x, y])
        #expect(diff.updated == [x])
        #expect(diff.removed == ["missing"], "an unknown name gets an answer (removed), not silence")
        stream.sent(.endpoint, diff, nonce: "n1")
        #expect(stream.diff(.endpoint, [x, y]).isEmpty, "the absent name is reported once")
    }

    @Test func subscribeAndUnsubscribe() throws {
        var stream = DeltaStream()
        _ = stream.received(.make(type: eds, subscribe: ["x"]))
        let x = try resource("x", "1")
        let y = try resource("y", "1")
        stream.sent(.endpoint, stream.diff(.endpoint, [x, y]), nonce: "n1")
        #expect(
            stream.received(.make(type: eds, subscribe: ["y"], nonce: "n1"))
                == .handled(.endpoint, reply: .acknowledged(stream.status[.endpoint]!.lastSent!), respond: true))
        #expect(stream.diff(.endpoint, [x, y]).updated == [y])
        stream.sent(.endpoint, stream.diff(.endpoint, [x, y]), nonce: "n2")
        #expect(
            stream.received(.make(type: eds, unsubscribe: ["x"])) == .handled(.endpoint, reply: .none, respond: false))
        let x2 = try resource("x", "2")
        #expect(stream.diff(.endpoint, [x2, y]).isEmpty, "an unsubscribed name is neither updated nor removed")
        _ = stream.received(.make(type: eds, subscribe: ["x"]))
        #expect(stream.diff(.endpoint, [x2, y]).updated == [x2], "re-subscribing sends it again")
    }

    @Test func initialResourceVersionsSkipWhatTheProxyAlreadyHolds() throws {
        let a = try resource("a", "1")
        let b = try resource("b", "1")
        let b2 = try resource("b", "2")
        var stream = DeltaStream()
        _ = stream.received(.make(type: cds, initialVersions: ["a": a.version, "b": b.version, "gone": "v0"]))
        let diff = stream.diff(.cluster, [a, b2])
        #expect(diff.updated == [b2], "unchanged resources are not re-sent on reconnect")
        #expect(diff.removed == ["gone"])
    }

    @Test func nackKeepsTheLastAcceptedAndNeverResendsTheRejectedContent() throws {
        var stream = DeltaStream()
        _ = stream.received(.make(type: cds))
        let a = try resource("a", "1")
        stream.sent(.cluster, stream.diff(.cluster, [a]), nonce: "n1", generation: 1)
        _ = stream.received(.make(type: cds, nonce: "n1"))
        let bad = try resource("a", "bad")
        let badDiff = stream.diff(.cluster, [bad])
        stream.sent(.cluster, badDiff, nonce: "n2", generation: 2)
        let action = stream.received(.make(type: cds, nonce: "n2", error: "bad cluster"))
        guard case .handled(.cluster, .rejected(let nack, let generation), false) = action else {
            Issue.record("expected a rejection, got \(action)")
            return
        }
        #expect(nack.resourceNames == ["a"])
        #expect(nack.message == "bad cluster")
        #expect(generation == 2)
        #expect(stream.status[.cluster]?.rejectedVersion == badDiff.version)
        #expect(stream.diff(.cluster, [bad]).isEmpty, "rejected content is not sent again")
        #expect(stream.diff(.cluster, [a]).isEmpty, "the proxy still holds the last accepted content")
        let fixed = try resource("a", "2")
        #expect(stream.diff(.cluster, [fixed]).updated == [fixed], "new content is pushed")
    }

    @Test func aStaleNonceIsIgnoredButItsSubscriptionChangeApplies() throws {
        var stream = DeltaStream()
        _ = stream.received(.make(type: eds, subscribe: ["x"]))
        let x = try resource("x", "1")
        stream.sent(.endpoint, stream.diff(.endpoint, [x]), nonce: "n1")
        #expect(
            stream.received(.make(type: eds, subscribe: ["y"], nonce: "old"))
                == .handled(.endpoint, reply: .staleNonce, respond: true))
        #expect(
            stream.received(.make(type: eds, nonce: "old", error: "x"))
                == .handled(.endpoint, reply: .staleNonce, respond: false))
        #expect(stream.status[.endpoint]?.lastNack == nil)
    }

    @Test func unknownTypeIsUnsupported() {
        var stream = DeltaStream()
        #expect(
            stream.received(.make(type: "type.googleapis.com/unknown")) == .unsupported("type.googleapis.com/unknown"))
    }
}
