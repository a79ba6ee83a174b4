public import EnvoyAPI
public import GRPCCore

/// The gRPC face of the ADS server: `envoy.service.discovery.v3.AggregatedDiscoveryService`.
public struct AggregatedDiscoveryService<Provider: ResourceProvider>: Sendable {
    let server: ADSServer<Provider>

    public init(server: ADSServer<Provider>) {
        self.server = server
    }
}

extension AggregatedDiscoveryService: Envoy_Service_Discovery_V3_AggregatedDiscoveryService.SimpleServiceProtocol {
    public func streamAggregatedResources(
        request: RPCAsyncSequence<Envoy_Service_Discovery_V3_DiscoveryRequest, any Error>,
        response: RPCWriter<Envoy_Service_Discovery_V3_DiscoveryResponse>,
        context: ServerContext
    ) async throws {
        do {
            try await server.serveSotW(requests: request) { try await response.write($0) }
        } catch let error as XDSStreamError {
            throw RPCError(code: .invalidArgument, message: error.description)
        }
    }

    public func deltaAggregatedResources(
        request: RPCAsyncSequence<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest, any Error>,
        response: RPCWriter<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse>,
        context: ServerContext
    ) async throws {
        throw RPCError(code: .unimplemented, message: "meshd serves State-of-the-World ADS; Delta ADS is not implemented yet")
    }
}
