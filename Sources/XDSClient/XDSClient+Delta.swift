public import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import EnvoyAPI

extension XDSClient {
    /// Opens one Delta ADS stream to `address`, runs `body` with it, then closes the stream and the connection.
    /// `metadata` and `tls` work as for `withADSStream`.
    public static func withDeltaStream<Result: Sendable>(
        to address: XDSServerAddress, metadata: Metadata = [:], tls: XDSClientTLS? = nil,
        _ body: @Sendable (DeltaADSStream) async throws -> Result
    ) async throws -> Result {
        let security = transportSecurity(tls)
        let transport = switch address {
        case .tcp(let host, let port):
            try HTTP2ClientTransport.Posix(target: .ipv4(address: host, port: port), transportSecurity: security)
        case .unix(let path):
            try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: path), transportSecurity: security)
        }
        return try await withGRPCClient(transport: transport) { client in
            let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
            let (requests, requestContinuation) = AsyncStream.makeStream(of: DeltaADSStream.Request.self)
            let (responses, responseContinuation) = AsyncThrowingStream.makeStream(of: DeltaADSStream.Response.self)
            let stream = DeltaADSStream(requests: requestContinuation, responses: responses)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await ads.deltaAggregatedResources(
                            metadata: metadata,
                            requestProducer: { writer in
                                for await request in requests { try await writer.write(request) }
                            },
                            onResponse: { response in
                                for try await message in response.messages { responseContinuation.yield(message) }
                            })
                        responseContinuation.finish()
                    } catch {
                        responseContinuation.finish(throwing: error)
                    }
                }
                defer { requestContinuation.finish() }
                let result = try await body(stream)
                requestContinuation.finish()
                try await group.waitForAll()
                return result
            }
        }
    }
}
