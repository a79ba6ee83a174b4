import EnvoyAPI
import SwiftProtobuf
import Testing
import XDSClient
import XDSServer

func names(_ response: Envoy_Service_Discovery_V3_DeltaDiscoveryResponse) -> [String] { response.resources.map(\.name) }

func nextDelta(
    _ iterator: inout AsyncThrowingStream<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse, any Error>.Iterator
) async throws
    -> Envoy_Service_Discovery_V3_DeltaDiscoveryResponse
{
    guard let response = try await iterator.next() else { throw StreamEnded() }
    return response
}

/// Delta ADS over real gRPC on 127.0.0.1, with the XDSClient delta API.
@Suite("Delta ADS over gRPC")
struct DeltaADSIntegrationTests {
    let cds = XDSType.cluster.rawValue
    let eds = XDSType.endpoint.rawValue

    @Test func subscribeAckPushOnlyChangesThenRemovalsAndNackIsNotResent() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["a": "1", "b": "1"])
        provider.set(.endpoint, ["a": "e1", "b": "e1"])
        try await withADSServer(provider) { ads, port in
            try await XDSClient.withDeltaStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                stream.send(.make(type: cds, node: node("proxy-1")))
                let first = try await nextDelta(&responses)
                #expect(first.typeURL == cds)
                #expect(names(first) == ["a", "b"])
                #expect(first.resources.allSatisfy { !$0.version.isEmpty })
                stream.send(.make(type: cds, nonce: first.nonce))
                stream.send(.make(type: eds, subscribe: ["a"]))
                let endpoints = try await nextDelta(&responses)
                #expect(endpoints.typeURL == eds)
                #expect(names(endpoints) == ["a"])
                stream.send(.make(type: eds, nonce: endpoints.nonce))

                // One cluster changes, one goes: the update carries only the changed one, the removal comes after.
                provider.set(.cluster, ["a": "2"])
                ads.pushAll()
                let update = try await nextDelta(&responses)
                #expect(update.typeURL == cds)
                #expect(names(update) == ["a"])
                #expect(update.removedResources.isEmpty)
                stream.send(.make(type: cds, nonce: update.nonce))
                // The updated cluster's endpoints are sent again (Envoy re-warms it); then CDS removals.
                let rewarm = try await nextDelta(&responses)
                #expect(rewarm.typeURL == eds)
                #expect(names(rewarm) == ["a"])
                stream.send(.make(type: eds, nonce: rewarm.nonce))
                let removal = try await nextDelta(&responses)
                #expect(removal.typeURL == cds)
                #expect(removal.resources.isEmpty)
                #expect(removal.removedResources == ["b"])
                stream.send(.make(type: cds, nonce: removal.nonce))

                // A rejected update is not re-sent by later pushes; new content is.
                provider.set(.cluster, ["a": "bad"])
                ads.pushAll()
                let bad = try await nextDelta(&responses)
                #expect(names(bad) == ["a"])
                stream.send(.make(type: cds, nonce: bad.nonce, error: "invalid cluster"))
                for _ in 0..<500 where ads.status.all().first?.types[.cluster]?.lastNack == nil {
                    try await Task.sleep(for: .milliseconds(10))
                }
                ads.pushAll()
                provider.set(.cluster, ["a": "3"])
                ads.pushAll()
                var fixed = try await nextDelta(&responses)
                while fixed.typeURL != cds { fixed = try await nextDelta(&responses) }
                #expect(
                    try fixed.resources.map { try Google_Protobuf_StringValue(unpackingAny: $0.resource).value } == [
                        "3"
                    ])
                let status = ads.status.all().first?.types[.cluster]
                #expect(status?.lastNack?.message == "invalid cluster")
                #expect(status?.lastNack?.resourceNames == ["a"])
                stream.finish()
            }
        }
    }

    @Test func reconnectWithInitialVersionsResendsNothingUnchanged() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["a": "1", "b": "1"])
        try await withADSServer(provider) { _, port in
            let held = try await XDSClient.withDeltaStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                stream.send(.make(type: cds, node: node("proxy-1")))
                let first = try await nextDelta(&responses)
                stream.send(.make(type: cds, nonce: first.nonce))
                stream.finish()
                return Dictionary(uniqueKeysWithValues: first.resources.map { ($0.name, $0.version) })
            }
            #expect(held.count == 2)
            provider.set(.cluster, ["a": "1", "b": "2"])
            try await XDSClient.withDeltaStream(to: .tcp(host: "127.0.0.1", port: port)) { stream in
                var responses = stream.responses.makeAsyncIterator()
                stream.send(.make(type: cds, initialVersions: held, node: node("proxy-1")))
                let response = try await nextDelta(&responses)
                #expect(names(response) == ["b"], "only the resource that changed while away is sent")
                stream.finish()
            }
        }
    }
}
