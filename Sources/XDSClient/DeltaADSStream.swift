public import EnvoyAPI

/// One open Delta ADS stream, seen from the proxy's side: send requests, read responses.
///
/// `send` may be called from any task. `responses` has a single consumer.
public final class DeltaADSStream: Sendable {
    public typealias Request = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest
    public typealias Response = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse

    private let requests: AsyncStream<Request>.Continuation
    /// Every response from the server, in order. Ends when the server closes the stream.
    public let responses: AsyncThrowingStream<Response, any Error>

    init(requests: AsyncStream<Request>.Continuation, responses: AsyncThrowingStream<Response, any Error>) {
        self.requests = requests
        self.responses = responses
    }

    /// Queues a request on the stream.
    public func send(_ request: Request) {
        requests.yield(request)
    }

    /// Half-closes the stream from the client's side.
    public func finish() {
        requests.finish()
    }
}

extension DeltaADSStream.Request {
    /// A request as Envoy sends it: subscription changes, the versions it already holds (on reconnect), and
    /// the nonce it answers (with `error` for a NACK).
    public static func make(
        type typeURL: String, subscribe: [String] = [], unsubscribe: [String] = [], initialVersions: [String: String] = [:],
        nonce: String = "", node: Envoy_Config_Core_V3_Node? = nil, error: String? = nil
    ) -> Self {
        var request = Self()
        request.typeURL = typeURL
        request.resourceNamesSubscribe = subscribe
        request.resourceNamesUnsubscribe = unsubscribe
        request.initialResourceVersions = initialVersions
        request.responseNonce = nonce
        if let node { request.node = node }
        if let error {
            request.errorDetail.code = 3  // INVALID_ARGUMENT, as Envoy reports a rejected config
            request.errorDetail.message = error
        }
        return request
    }
}
