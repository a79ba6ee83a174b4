import AsyncHTTPClient
package import Foundation
package import NIOCore
import NIOHTTP1

/// The HTTP methods meshd writes with.
package enum KubernetesVerb: String, Sendable {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"
}

extension KubernetesClient {
    /// One request on one object or collection (GET, POST, PUT, DELETE) with an optional JSON body: the status and
    /// at most `limit` bytes of the answer, whatever the status, for the caller to read (a 404 or 409 is an answer,
    /// not a failure). Throws on I/O, on the timeout, and when meshd's token file cannot be read.
    package func send(
        _ method: KubernetesVerb, _ path: String, query: [(String, String)] = [], json body: Data? = nil,
        timeout: TimeAmount = .seconds(10), limit: Int = 4 * 1024 * 1024
    ) async throws -> (status: Int, body: Data) {
        var request = try request(path, query)
        request.method = HTTPMethod(rawValue: method.rawValue)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: timeout)
        let collected = try await response.body.collect(upTo: limit)
        return (Int(response.status.code), Data(collected.readableBytesView))
    }

    /// `send`, throwing `KubernetesError` for any status outside 2xx (with the server's `Status` message).
    package func sendExpectingSuccess(
        _ method: KubernetesVerb, _ path: String, query: [(String, String)] = [], json body: Data? = nil,
        timeout: TimeAmount = .seconds(10)
    ) async throws -> Data {
        let answer = try await send(method, path, query: query, json: body, timeout: timeout)
        try Self.check(status: answer.status, body: answer.body, path: path)
        return answer.body
    }
}

extension Duration {
    /// The same span as NIO's `TimeAmount`, for request timeouts.
    package var timeAmount: TimeAmount {
        .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }
}

extension KubernetesClient {
    /// Runs `body` with a client for `connection` (its own `HTTPClient`, shut down afterwards), for one-off calls
    /// such as the shared CA at start-up and `meshd proxy-status`.
    package static func with<T: Sendable>(
        _ connection: KubernetesConnection, userAgent: String = "meshd", _ body: (KubernetesClient) async throws -> T
    ) async throws -> T {
        let configuration = try configuration(for: connection)
        return try await HTTPClient.withHTTPClient(configuration: configuration) { http in
            var client = KubernetesClient(http: http, connection: connection)
            client.userAgent = userAgent
            return try await body(client)
        }
    }
}
