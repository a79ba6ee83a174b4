public import EnvoyAPI

/// One open ADS stream, seen from the proxy's side: send requests, read responses. The same class serves SotW
/// (`ADSStream`) and Delta (`DeltaADSStream`).
///
/// `send` may be called from any task. `responses` has a single consumer.
public final class XDSStream<RequestMessage: Sendable, ResponseMessage: Sendable>: Sendable {
    public typealias Request = RequestMessage
    public typealias Response = ResponseMessage

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

/// A State-of-the-World ADS stream (`StreamAggregatedResources`).
public typealias ADSStream = XDSStream<
    Envoy_Service_Discovery_V3_DiscoveryRequest, Envoy_Service_Discovery_V3_DiscoveryResponse
>

extension Envoy_Service_Discovery_V3_DiscoveryRequest {
    /// A request as Envoy sends it: the type, the names it wants, and the version and nonce it answers.
    public static func make(
        type typeURL: String, names: [String] = [], version: String = "", nonce: String = "",
        node: Envoy_Config_Core_V3_Node? = nil,
        error: String? = nil
    ) -> Self {
        var request = Self()
        request.typeURL = typeURL
        request.resourceNames = names
        request.versionInfo = version
        request.responseNonce = nonce
        if let node { request.node = node }
        if let error {
            request.errorDetail.code = 3  // INVALID_ARGUMENT, as Envoy reports a rejected config
            request.errorDetail.message = error
        }
        return request
    }
}
