import AsyncHTTPClient
public import Foundation
public import Registry

/// Sends one TokenReview to the API server and returns the HTTP status and body. One requirement, so tests and
/// other clients can stand in.
public protocol TokenReviewTransport: Sendable {
    /// POSTs `body` (a TokenReview, JSON) to `/apis/authentication.k8s.io/v1/tokenreviews`.
    func post(_ body: Data) async throws -> (status: Int, body: Data)
    /// Releases connections; called once, at shutdown.
    func shutdown() async throws
}

/// The TokenReview call over HTTPS (or plain HTTP for a test API server), authenticated as meshd's own service
/// account, through the Kubernetes source's client (`KubernetesClient`: the same TLS, credentials and headers).
/// Thread-safe; owns its `HTTPClient`, which `shutdown()` closes.
public final class HTTPTokenReviewTransport: TokenReviewTransport {
    static let path = "/apis/authentication.k8s.io/v1/tokenreviews"
    let client: KubernetesClient
    let http: HTTPClient

    /// Throws `TokenReviewError.configuration` when the connection's TLS material cannot be loaded.
    public init(connection: KubernetesConnection) throws {
        let configuration: HTTPClient.Configuration
        do {
            configuration = try KubernetesClient.configuration(for: connection)
        } catch let KubernetesError.configuration(reason) {
            throw TokenReviewError.configuration(reason)
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        client = KubernetesClient(http: http, connection: connection)
    }

    public func post(_ body: Data) async throws -> (status: Int, body: Data) {
        do {
            return try await client.post(Self.path, json: body, timeout: .seconds(10), limit: 1024 * 1024)
        } catch let KubernetesError.configuration(reason) {
            throw TokenReviewError.configuration(reason)
        }
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }
}
