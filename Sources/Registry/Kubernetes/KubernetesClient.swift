package import AsyncHTTPClient
package import Foundation
package import NIOCore
import NIOSSL

/// The little of the Kubernetes API that meshd needs: paged LIST and streaming WATCH of one kind for the source, and a
/// JSON POST for the calls that read their own answer (TokenReview, in Discovery).
///
/// Thread-safe (it only holds an `HTTPClient`, which is). It does not own the `HTTPClient`: whoever made it shuts
/// it down. Every response body is external input and is parsed without trapping.
package struct KubernetesClient: Sendable {
    let http: HTTPClient
    package let connection: KubernetesConnection
    /// How long one watch request may last before meshd re-opens it (the server is asked to end it first).
    var watchTimeout: Duration = .seconds(300)
    /// The `User-Agent` of every request: `meshd`, or `meshd/<replica-id>` for a replica's own calls, so that the API
    /// server's audit log (and the fake's write log) tells replicas apart.
    package var userAgent = "meshd"

    package init(http: HTTPClient, connection: KubernetesConnection, watchTimeout: Duration = .seconds(300)) {
        self.http = http
        self.connection = connection
        self.watchTimeout = watchTimeout
    }

    /// The HTTP client settings for a connection: its CA, client certificate and connect timeout. Throws
    /// `KubernetesError.configuration` when the TLS material cannot be loaded.
    package static func configuration(for connection: KubernetesConnection) throws -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5))
        // Every kind holds one long-lived watch; over HTTP/1.1 each needs its own connection, and the default soft
        // limit of 8 per host would leave the other watches queued forever.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        guard connection.server.hasPrefix("https:") else { return configuration }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = connection.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
            }
            if case .clientCertificate(let certificate, let key) = connection.credentials {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map {
                    .certificate($0)
                }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
            }
        } catch {
            throw KubernetesError.configuration("cannot load the TLS material for \(connection.server): \(error)")
        }
        if connection.skipTLSVerify { tls.certificateVerification = .none }
        configuration.tlsConfiguration = tls
        return configuration
    }

    /// One LIST page. `continueToken` continues a chunked list; the server answers 410 when the token expired.
    func list(_ kind: KubernetesKind, limit: Int, continueToken: String?) async throws -> ListPage {
        var query = [("limit", "\(limit)")]
        if let continueToken { query.append(("continue", continueToken)) }
        if let selector = kind.fieldSelector { query.append(("fieldSelector", selector)) }
        let response = try await http.execute(try request(kind.collectionPath, query), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 * 1024 * 1024)
        let data = Data(body.readableBytesView)
        try Self.check(status: Int(response.status.code), body: data, path: kind.collectionPath)
        return try ListPage(data: data, kind: kind)
    }

    /// Opens a WATCH from `resourceVersion` and hands every event to `onEvent` in order, until the server ends the
    /// stream (normal: the caller resumes from the last resourceVersion it saw) or an error is thrown.
    func watch(
        _ kind: KubernetesKind, from resourceVersion: String, onEvent: (WatchEvent) async throws -> Void
    ) async throws {
        var query = [
            ("watch", "true"), ("resourceVersion", resourceVersion), ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", "\(watchTimeout.components.seconds)"),
        ]
        if let selector = kind.fieldSelector { query.append(("fieldSelector", selector)) }
        let deadline = TimeAmount.seconds(watchTimeout.components.seconds + 30)
        let response = try await http.execute(try request(kind.collectionPath, query), timeout: deadline)
        if response.status.code != 200 {
            let body = try await response.body.collect(upTo: 1024 * 1024)
            try Self.check(
                status: Int(response.status.code), body: Data(body.readableBytesView), path: kind.collectionPath)
        }
        var lines = LineSplitter()
        for try await chunk in response.body {
            for line in lines.append(chunk) where !line.isEmpty {
                try await onEvent(try WatchEvent(line: line, kind: kind))
            }
        }
    }

    /// POSTs the JSON `body` to `path` and returns the status and at most `limit` bytes of the answer, whatever the
    /// status: the caller reads the API server's answer (a TokenReview status, or a `Status` explaining a refusal).
    /// Throws on I/O, on a timeout, and `KubernetesError.configuration` when meshd's token file cannot be read.
    package func post(
        _ path: String, json body: Data, timeout: TimeAmount = .seconds(10), limit: Int = 1024 * 1024
    ) async throws -> (status: Int, body: Data) {
        try await send(.post, path, json: body, timeout: timeout, limit: limit)
    }

    func request(_ path: String, _ query: [(String, String)]) throws -> HTTPClientRequest {
        let encoded = query.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
        var request = HTTPClientRequest(url: "\(connection.server)\(path)\(encoded.isEmpty ? "" : "?")\(encoded)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: userAgent)
        if let authorization = try connection.authorization() {
            request.headers.add(name: "Authorization", value: authorization)
        }
        return request
    }

    /// Percent-escapes a query value: continue tokens and selectors carry `+`, `=` and `/`.
    static func escape(_ value: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    /// Throws the error a non-2xx status means, using the server's `Status` message when the body has one.
    package static func check(status: Int, body: Data, path: String) throws {
        guard !(200..<300).contains(status) else { return }
        let message = APIStatus(data: body)?.message ?? "\(path): HTTP \(status)"
        throw KubernetesError.from(code: status, message: message)
    }
}
