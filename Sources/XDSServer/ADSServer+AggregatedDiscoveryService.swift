public import EnvoyAPI
public import GRPCCore

/// The gRPC face of the ADS server: `envoy.service.discovery.v3.AggregatedDiscoveryService`.
public struct AggregatedDiscoveryService<Provider: ResourceProvider>: Sendable {
    let server: ADSServer<Provider>

    public init(server: ADSServer<Provider>) {
        self.server = server
    }
}

extension AggregatedDiscoveryService: Envoy_Service_Discovery_V3_AggregatedDiscoveryService.ServiceProtocol {
    public func streamAggregatedResources(
        request: StreamingServerRequest<Envoy_Service_Discovery_V3_DiscoveryRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Envoy_Service_Discovery_V3_DiscoveryResponse> {
        let peer = PeerInfo(remotePeer: context.remotePeer, metadata: request.metadata, transportSpecific: context.transportSpecific)
        let server = server
        return StreamingServerResponse { writer in
            do {
                try await server.serveSotW(requests: request.messages, peer: peer) { try await writer.write($0) }
            } catch let error as XDSStreamError {
                throw RPCError(code: error.code, message: error.description)
            }
            return [:]
        }
    }

    public func deltaAggregatedResources(
        request: StreamingServerRequest<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse> {
        let peer = PeerInfo(remotePeer: context.remotePeer, metadata: request.metadata, transportSpecific: context.transportSpecific)
        let server = server
        return StreamingServerResponse { writer in
            do {
                try await server.serveDelta(requests: request.messages, peer: peer) { try await writer.write($0) }
            } catch let error as XDSStreamError {
                throw RPCError(code: error.code, message: error.description)
            }
            return [:]
        }
    }
}

extension XDSStreamError {
    var code: RPCError.Code {
        switch self {
        case .missingNode: .invalidArgument
        case .refused: .permissionDenied
        case .sendTimeout: .deadlineExceeded
        }
    }
}
