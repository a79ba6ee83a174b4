import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
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
/// account. Thread-safe; owns its `HTTPClient`, which `shutdown()` closes.
public final class HTTPTokenReviewTransport: TokenReviewTransport {
    let connection: KubernetesConnection
    let http: HTTPClient

    public init(connection: KubernetesConnection) throws {
        self.connection = connection
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        if connection.server.hasPrefix("https:") {
            var tls = TLSConfiguration.makeClientConfiguration()
            do {
                if let ca = connection.certificateAuthorityPEM {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
                }
                if case .clientCertificate(let certificate, let key) = connection.credentials {
                    tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map { .certificate($0) }
                    tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
                }
            } catch {
                throw TokenReviewError.configuration("cannot load the TLS material for \(connection.server): \(error)")
            }
            if connection.skipTLSVerify { tls.certificateVerification = .none }
            configuration.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func post(_ body: Data) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: "\(connection.server)/apis/authentication.k8s.io/v1/tokenreviews")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "meshd")
        if let authorization = try authorization() { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await http.execute(request, timeout: .seconds(10))
        let collected = try await response.body.collect(upTo: 1024 * 1024)
        return (Int(response.status.code), Data(buffer: collected))
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// meshd's own credential; a token file is re-read on every call, since projected tokens rotate.
    func authorization() throws -> String? {
        switch connection.credentials {
        case .none, .clientCertificate: return nil
        case .token(let token): return "Bearer \(token)"
        case .tokenFile(let path):
            guard let token = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw TokenReviewError.configuration("cannot read meshd's token file \(path)")
            }
            return "Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
}
