import EnvoyAPI
import SwiftProtobuf
import Testing
import XDSClient
import XDSServer

/// What the server records of what each connection was sent and accepted (`ConnectionRegistry`, `SentTypeState`):
/// what config dumps and diffs read instead of generating anew.
@Suite("Sent and ACKed state per connection")
struct SentStateTests {
    let cds = XDSType.cluster.rawValue
    let eds = XDSType.endpoint.rawValue

    @Test(
        "SotW: the registry keeps the last response sent and the one ACKed; new provider content is not shown until pushed"
    )
    func sotwSentAndAcked() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["a": "one", "b": "one"])
        let a1 = try resource("a", "one")
        let a2 = try resource("a", "two")
        let b1 = try resource("b", "one")
        try await withADSServer(provider) { ads, port in
            try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                stream.send(.make(type: cds, node: node("sidecar~10.0.0.1~a.default~default.svc.cluster.local")))
                let first = try await nextResponse(&responses)
                stream.send(.make(type: cds, version: first.versionInfo, nonce: first.nonce))
                try await waitUntil { ads.connections.all().first?.sent(.cluster)?.acked?.nonce == first.nonce }
                var sent = try #require(ads.connections.all().first?.sent(.cluster))
                #expect(ads.connections.all().first?.streamProtocol == .sotw)
                #expect(sent.lastSent?.version == first.versionInfo)
                #expect(sent.heldVersions == ["a": a1.version, "b": b1.version])
                #expect(sent.heldResources.map(\.name) == ["a", "b"])
                #expect(sent.ackedVersions == sent.heldVersions)
                #expect(sent.ackedVersion == first.versionInfo)

                // Pushed and not yet answered: sent moves on, ACKed stays.
                provider.set(.cluster, ["a": "two", "b": "one"])
                ads.pushAll()
                let second = try await nextResponse(&responses)
                try await waitUntil { ads.connections.all().first?.sent(.cluster)?.lastSent?.nonce == second.nonce }
                sent = try #require(ads.connections.all().first?.sent(.cluster))
                #expect(sent.heldVersions == ["a": a2.version, "b": b1.version])
                #expect(sent.ackedVersions == ["a": a1.version, "b": b1.version])
                #expect(sent.acked?.version == first.versionInfo)

                // The provider's content changes without a push: what was sent is what the record shows.
                provider.set(.cluster, ["a": "three"])
                #expect(
                    ads.connections.all().first?.sent(.cluster)?.heldVersions == ["a": a2.version, "b": b1.version])

                // Rejected: the last sent stays recorded as rejected; the ACKed set is still the first.
                stream.send(.make(type: cds, version: first.versionInfo, nonce: second.nonce, error: "bad a"))
                try await waitUntil {
                    ads.connections.all().first?.sent(.cluster)?.rejectedVersion == second.versionInfo
                }
                #expect(
                    ads.connections.all().first?.sent(.cluster)?.ackedVersions == ["a": a1.version, "b": b1.version])
                stream.finish()
            }
        }
    }

    @Test("SotW: an EDS response that carries only what changed is recorded with the whole set the proxy holds")
    func sotwPartialResponseKeepsTheWholeSet() async throws {
        let provider = SettableProvider()
        provider.set(.endpoint, ["x": "1", "y": "1"])
        let x2 = try resource("x", "2")
        let y1 = try resource("y", "1")
        try await withADSServer(provider) { ads, port in
            try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                stream.send(
                    .make(
                        type: eds, names: ["x", "y"], node: node("sidecar~10.0.0.2~b.default~default.svc.cluster.local")
                    ))
                let first = try await nextResponse(&responses)
                stream.send(.make(type: eds, names: ["x", "y"], version: first.versionInfo, nonce: first.nonce))
                try await waitUntil { ads.connections.all().first?.sent(.endpoint)?.acked?.nonce == first.nonce }
                provider.set(.endpoint, ["x": "2", "y": "1"])
                ads.pushAll()
                let second = try await nextResponse(&responses)
                #expect(second.resources.count == 1, "only the changed assignment goes out")
                try await waitUntil { ads.connections.all().first?.sent(.endpoint)?.lastSent?.nonce == second.nonce }
                let sent = try #require(ads.connections.all().first?.sent(.endpoint))
                #expect(sent.lastSent?.resourceNames == ["x"])
                #expect(sent.heldVersions == ["x": x2.version, "y": y1.version])
                #expect(!sent.wildcard && sent.wants("y") && !sent.wants("z"))
                stream.finish()
            }
        }
    }

    @Test("Delta: per-resource versions ACKed are what the proxy holds with unanswered responses undone")
    func deltaAckedVersions() throws {
        var stream = DeltaStream()
        _ = stream.received(.make(type: cds))
        let a = try resource("a", "1")
        let b = try resource("b", "1")
        let a2 = try resource("a", "2")
        stream.sent(.cluster, stream.diff(.cluster, [a, b]), nonce: "1-1")
        #expect(stream.types[.cluster]?.heldVersions == ["a": a.version, "b": b.version])
        #expect(stream.types[.cluster]?.ackedVersions == [:], "nothing is accepted before the ACK")
        _ = stream.received(.make(type: cds, nonce: "1-1"))
        #expect(stream.types[.cluster]?.ackedVersions == ["a": a.version, "b": b.version])

        // Two responses in flight: the first updates a, the second removes b.
        stream.sent(.cluster, stream.diff(.cluster, [a2, b]), nonce: "1-2")
        stream.sent(.cluster, stream.diff(.cluster, [a2]), nonce: "1-3")
        #expect(stream.types[.cluster]?.heldVersions == ["a": a2.version])
        #expect(stream.types[.cluster]?.ackedVersions == ["a": a.version, "b": b.version])
        #expect(stream.types[.cluster]?.sentResources["a"]?.contains(a2) == true)
        _ = stream.received(.make(type: cds, nonce: "1-2"))
        #expect(stream.types[.cluster]?.ackedVersions == ["a": a2.version, "b": b.version])
        #expect(stream.status[.cluster]?.acked?.nonce == "1-2")

        // The removal is rejected: the proxy still holds b, and accepted nothing more.
        _ = stream.received(.make(type: cds, nonce: "1-3", error: "no"))
        #expect(stream.types[.cluster]?.heldVersions == ["a": a2.version, "b": b.version])
        #expect(stream.types[.cluster]?.ackedVersions == ["a": a2.version, "b": b.version])
        #expect(stream.status[.cluster]?.acked?.nonce == "1-2")
    }

    @Test("Delta over gRPC: the registry shows what the proxy holds, with content, and what it ACKed")
    func deltaConnectionRecord() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["a": "1", "b": "1"])
        let a = try resource("a", "1")
        let b = try resource("b", "1")
        try await withADSServer(provider) { ads, port in
            try await XDSClient.withDeltaStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                stream.send(.make(type: cds, node: node("sidecar~10.0.0.3~c.default~default.svc.cluster.local")))
                guard let first = try await responses.next() else { throw StreamEnded() }
                stream.send(.make(type: cds, nonce: first.nonce))
                try await waitUntil { ads.connections.all().first?.sent(.cluster)?.acked?.nonce == first.nonce }
                let connection = try #require(ads.connections.all().first)
                #expect(connection.streamProtocol == .delta)
                let sent = try #require(connection.sent(.cluster))
                #expect(sent.heldVersions == ["a": a.version, "b": b.version])
                #expect(sent.ackedVersions == sent.heldVersions)
                #expect(sent.heldResources == [a, b])
                stream.finish()
            }
        }
    }
}
