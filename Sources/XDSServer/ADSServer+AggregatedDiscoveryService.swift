public import EnvoyAPI
public import GRPCCore
import GRPCProtobuf

/// The gRPC face of the ADS server: `envoy.service.discovery.v3.AggregatedDiscoveryService`.
///
/// Registered by hand rather than through the generated protocol: requests are decoded as usual, but responses
/// are `PreparedResponse`s, written from each resource's stored bytes, so no stream serialises a resource again.
public struct AggregatedDiscoveryService<Provider: ResourceProvider>: RegistrableRPCService {
    typealias Methods = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Method
    let server: ADSServer<Provider>

    public init(server: ADSServer<Provider>) {
        self.server = server
    }

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        let server = server
        router.registerHandler(
            forMethod: Methods.StreamAggregatedResources.descriptor,
            deserializer: ProtobufDeserializer<Envoy_Service_Discovery_V3_DiscoveryRequest>(),
            serializer: PreparedMessageSerializer<PreparedResponse>(),
            handler: { request, context in
                let peer = PeerInfo(remotePeer: context.remotePeer, metadata: request.metadata, transportSpecific: context.transportSpecific)
                return StreamingServerResponse { writer in
                    do {
                        try await server.serveSotW(requests: request.messages, peer: peer) { try await writer.write($0) }
                    } catch let error as XDSStreamError {
                        throw RPCError(code: error.code, message: error.description)
                    }
                    return [:]
                }
            })
        router.registerHandler(
            forMethod: Methods.DeltaAggregatedResources.descriptor,
            deserializer: ProtobufDeserializer<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest>(),
            serializer: PreparedMessageSerializer<PreparedDeltaResponse>(),
            handler: { request, context in
                let peer = PeerInfo(remotePeer: context.remotePeer, metadata: request.metadata, transportSpecific: context.transportSpecific)
                return StreamingServerResponse { writer in
                    do {
                        try await server.serveDelta(requests: request.messages, peer: peer) { try await writer.write($0) }
                    } catch let error as XDSStreamError {
                        throw RPCError(code: error.code, message: error.description)
                    }
                    return [:]
                }
            })
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
