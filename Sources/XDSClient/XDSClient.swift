public import EnvoyAPI
public import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import GRPCTransportTuning
import SwiftProtobuf

/// Where to reach an xDS server.
public enum XDSServerAddress: Sendable {
    case tcp(host: String, port: Int)
    case unix(path: String)
}

/// An ADS client for tests and the load generator: it speaks to meshd as Envoy does, over HTTP/2 gRPC.
public enum XDSClient {
    /// Opens one SotW ADS stream to `address`, runs `body` with it, then closes the stream and the connection.
    ///
    /// `metadata` is sent when the stream opens, as Envoy's `initial_metadata` is (e.g. `authorization: Bearer
    /// <token>`). With `tls`, the connection is TLS: the server is verified against `tls.trustRootsPEM` (its
    /// host name is not checked) and the client certificate, if any, is presented.
    public static func withADSStream<Result: Sendable>(
        to address: XDSServerAddress, metadata: Metadata = [:], tls: XDSClientTLS? = nil,
        _ body: @Sendable (ADSStream) async throws -> Result
    ) async throws -> Result {
        try await withStream(
            Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Method.StreamAggregatedResources.descriptor,
            to: address,
            metadata: metadata, tls: tls, body)
    }

    /// Opens one stream of the bidirectional-streaming `method`, runs `body` with it, then closes the stream and
    /// the connection.
    static func withStream<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message, Result: Sendable>(
        _ method: MethodDescriptor, to address: XDSServerAddress, metadata: Metadata, tls: XDSClientTLS?,
        _ body: @Sendable (XDSStream<Request, Response>) async throws -> Result
    ) async throws -> Result {
        let security = transportSecurity(tls)
        // An idle stream must not keep its last (possibly megabytes) response buffer: thousands run in meshd-load.
        var config = HTTP2ClientTransport.Posix.Config.defaults
        GRPCTransportTuning.releaseAfterEachMessage(&config.channelDebuggingCallbacks)
        GRPCTransportTuning.smallReadBuffers(&config.channelDebuggingCallbacks, maximum: 65_536)  // responses are large: read them in NIO's usual 64 KB
        let transport =
            switch address {
            case .tcp(let host, let port):
                try HTTP2ClientTransport.Posix(
                    target: .ipv4(address: host, port: port), transportSecurity: security, config: config)
            case .unix(let path):
                try HTTP2ClientTransport.Posix(
                    target: .unixDomainSocket(path: path), transportSecurity: security, config: config)
            }
        return try await withGRPCClient(transport: transport) { client in
            let (requests, requestContinuation) = AsyncStream.makeStream(of: Request.self)
            let (responses, responseContinuation) = AsyncThrowingStream.makeStream(of: Response.self)
            let stream = XDSStream(requests: requestContinuation, responses: responses)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        let request = StreamingClientRequest<Request>(metadata: metadata) { writer in
                            for await request in requests { try await writer.write(request) }
                        }
                        try await client.bidirectionalStreaming(
                            request: request, descriptor: method, serializer: ProtobufSerializer<Request>(),
                            deserializer: ProtobufDeserializer<Response>(), options: .defaults
                        ) { response in
                            for try await message in response.messages { responseContinuation.yield(message) }
                        }
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

    static func transportSecurity(_ tls: XDSClientTLS?) -> HTTP2ClientTransport.Posix.TransportSecurity {
        guard let tls else { return .plaintext }
        var config = HTTP2ClientTransport.Posix.TransportSecurity.TLS.defaults
        config.serverCertificateVerification = .noHostnameVerification
        config.trustRoots = .certificates([.bytes(Array(tls.trustRootsPEM.utf8), format: .pem)])
        if let chain = tls.certificateChainPEM, let key = tls.privateKeyPEM {
            config.certificateChain = pemCertificates(chain).map { .bytes(Array($0.utf8), format: .pem) }
            config.privateKey = .bytes(Array(key.utf8), format: .pem)
        }
        return .tls(config)
    }

    /// Splits a PEM bundle into its certificates.
    static func pemCertificates(_ pem: String) -> [String] {
        let end = "-----END CERTIFICATE-----"
        return pem.components(separatedBy: end).compactMap { part in
            guard let start = part.range(of: "-----BEGIN CERTIFICATE-----") else { return nil }
            return String(part[start.lowerBound...]) + end + "\n"
        }
    }
}
