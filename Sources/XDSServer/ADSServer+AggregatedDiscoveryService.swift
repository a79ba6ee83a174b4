public import EnvoyAPI
public import GRPCCore
import GRPCProtobuf

/// The gRPC face of the ADS server: `envoy.service.discovery.v3.AggregatedDiscoveryService`.
///
/// Registered by hand rather than through the generated protocol: SotW requests are read by `SotWRequest`, which
/// digests the resource names every ACK repeats instead of decoding them, Delta requests are decoded as usual, and
/// responses are `PreparedResponse`s, written from each resource's stored bytes, so no stream serialises a resource
/// again.
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
            deserializer: SotWRequestDeserializer(),
            serializer: PreparedMessageSerializer<PreparedResponse>(),
            handler: { request, context in
                Self.respond(to: request, context) { try await server.serveSotW(requests: $0, peer: $1, write: $2) }
            })
        router.registerHandler(
            forMethod: Methods.DeltaAggregatedResources.descriptor,
            deserializer: ProtobufDeserializer<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest>(),
            serializer: PreparedMessageSerializer<PreparedDeltaResponse>(),
            handler: { request, context in
                Self.respond(to: request, context) { try await server.serveDelta(requests: $0, peer: $1, write: $2) }
            })
    }

    /// One ADS stream of either protocol: `serve` runs it with the request messages, the peer and a write; a stream
    /// error becomes the gRPC status Envoy sees.
    private static func respond<Request: Sendable, Response: Sendable>(
        to request: StreamingServerRequest<Request>, _ context: ServerContext,
        serve:
            @escaping @Sendable (
                RPCAsyncSequence<Request, any Error>, PeerInfo, @escaping @Sendable (Response) async throws -> Void
            ) async throws -> Void
    ) -> StreamingServerResponse<Response> {
        let peer = PeerInfo(
            remotePeer: context.remotePeer, metadata: request.metadata, transportSpecific: context.transportSpecific)
        return StreamingServerResponse { writer in
            do {
                try await serve(request.messages, peer) { try await writer.write($0) }
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
        case .refused(let refusal):
            switch refusal.reason {
            case .unauthenticated: .unauthenticated
            case .permissionDenied: .permissionDenied
            case .invalidNode: .invalidArgument
            }
        case .sendTimeout: .deadlineExceeded
        case .shuttingDown: .unavailable
        }
    }
}
