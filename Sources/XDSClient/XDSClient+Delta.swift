import EnvoyAPI
public import GRPCCore

extension XDSClient {
    /// Opens one Delta ADS stream to `address`, runs `body` with it, then closes the stream and the connection.
    /// `metadata` and `tls` work as for `withADSStream`.
    public static func withDeltaStream<Result: Sendable>(
        to address: XDSServerAddress, metadata: Metadata = [:], tls: XDSClientTLS? = nil,
        _ body: @Sendable (DeltaADSStream) async throws -> Result
    ) async throws -> Result {
        try await withStream(
            Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Method.DeltaAggregatedResources.descriptor,
            to: address,
            metadata: metadata, tls: tls, body)
    }
}
