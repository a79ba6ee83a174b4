public import EnvoyAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf

/// Where to reach an xDS server.
public enum XDSServerAddress: Sendable {
    case tcp(host: String, port: Int)
    case unix(path: String)
}

/// An ADS client for tests and the load generator: it speaks to meshd as Envoy does, over HTTP/2 gRPC.
public enum XDSClient {
    /// Opens one SotW ADS stream to `address`, runs `body` with it, then closes the stream and the connection.
    public static func withADSStream<Result: Sendable>(
        to address: XDSServerAddress, _ body: @Sendable (ADSStream) async throws -> Result
    ) async throws -> Result {
        let transport = switch address {
        case .tcp(let host, let port):
            try HTTP2ClientTransport.Posix(target: .ipv4(address: host, port: port), transportSecurity: .plaintext)
        case .unix(let path):
            try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: path), transportSecurity: .plaintext)
        }
        return try await withGRPCClient(transport: transport) { client in
            let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
            let (requests, requestContinuation) = AsyncStream.makeStream(of: ADSStream.Request.self)
            let (responses, responseContinuation) = AsyncThrowingStream.makeStream(of: ADSStream.Response.self)
            let stream = ADSStream(requests: requestContinuation, responses: responses)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await ads.streamAggregatedResources(
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
