import EnvoyAPI
import Testing

// The one stream helper these tests share with XDSServerTests (where ADSServerIntegrationTests.swift defines the
// same), kept here so that the security tests could move to their own target without changing a line of them.

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
