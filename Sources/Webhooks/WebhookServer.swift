public import CertificateAuthority
import Foundation
public import Hummingbird
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// istiod's webhook port (15017): HTTPS with a serving certificate from meshd's CA, answering AdmissionReviews at
/// `/inject` (sidecar injection) and `/validate` (config validation), and `/ready` for probes. The certificate is
/// re-issued at half of its lifetime and picked per TLS handshake, so the port never presents an expired one.
public struct WebhookServer: Service {
    public let host: String
    public let port: Int
    let injection: InjectionWebhook?
    let validation: ValidationWebhook
    let certificate: RenewingServingCertificate
    let metrics: WebhookMetrics?
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    /// The names the serving certificate carries: istiod's Service names, which the webhook configurations'
    /// `clientConfig.service` resolve to.
    public static let defaultDNSNames = ["istiod.istio-system.svc", "istiod.istio-system.svc.cluster.local"]

    /// Issues the first serving certificate; throws when the CA cannot.
    public init(
        host: String, port: Int, ca: CertificateAuthority, dnsNames: [String] = WebhookServer.defaultDNSNames,
        injection: InjectionWebhook?, validation: ValidationWebhook, metrics: WebhookMetrics? = nil, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws {
        self.metrics = metrics
        self.host = host
        self.port = port
        self.injection = injection
        self.validation = validation
        self.certificate = try RenewingServingCertificate(ca: ca, dnsNames: dnsNames)
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let (port, onListening) = (self.port, self.onListening)
        let app = Application(
            router: makeRouter(),
            server: try .tls(.http1(), tlsConfiguration: certificate.tlsConfiguration()),
            configuration: .init(address: .hostname(host, port: port), serverName: "meshd-webhook"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.run()
    }

    /// The largest AdmissionReview read (the API server caps objects at about 3 MB).
    static let maxBody = 8 * 1024 * 1024

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/ready") { _, _ in "ok\n" }
        let (injection, validation, metrics, logger) = (self.injection, self.validation, self.metrics, self.logger)
        router.post("/inject") { request, _ -> Response in
            guard let injection else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "injection is disabled\n")))
            }
            return try await Self.answer(request, logger: logger) { admission in
                let response = injection.review(admission)
                metrics?.injected(response)
                return response
            }
        }
        router.post("/validate") { request, _ -> Response in
            try await Self.answer(request, logger: logger) { admission in
                let response = validation.review(admission)
                metrics?.validated(admission, response)
                return response
            }
        }
        return router
    }

    /// Reads the AdmissionReview, answers it, and writes the response review in the request's version. A body that
    /// is not an AdmissionReview is a 400 with the reason (the API server then applies the failurePolicy).
    static func answer(
        _ request: Request, logger: Logger, with review: @Sendable (AdmissionRequest) -> AdmissionResponse
    ) async throws -> Response {
        let body = try await request.body.collect(upTo: maxBody)
        let admission: AdmissionRequest
        do {
            admission = try AdmissionRequest(body: Data(buffer: body))
        } catch {
            logger.warning("webhook \(request.uri.path): refused a malformed AdmissionReview: \(error)")
            return Response(
                status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "malformed AdmissionReview: \(error)\n")))
        }
        let response = review(admission)
        if !response.allowed {
            logger.info(
                "webhook \(request.uri.path): denied \(admission.kind) \(admission.namespace ?? "")/\(admission.name ?? ""): \(response.message ?? "")"
            )
        }
        let data = try response.review(apiVersion: admission.apiVersion)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The webhook port's serving certificate: issued by the CA, re-issued at half of its lifetime, and handed to each
/// new TLS handshake through NIOSSL's context callback. Holds a private key: never log it.
final class RenewingServingCertificate: Sendable {
    private struct Current {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var renewAt: Date
        var notAfter: Date
    }

    private let ca: CertificateAuthority
    private let dnsNames: [String]
    private let state: Mutex<Current>

    init(ca: CertificateAuthority, dnsNames: [String]) throws {
        self.ca = ca
        self.dnsNames = dnsNames
        state = Mutex(try Self.issue(ca: ca, dnsNames: dnsNames, now: Date()))
    }

    /// The certificate for a handshake now, renewed first once past half of its lifetime. A failed renewal keeps
    /// the current one (still valid) and is tried again at the next handshake.
    func current(now: Date = Date()) -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, notAfter: Date) {
        state.withLock { current in
            if now >= current.renewAt, let renewed = try? Self.issue(ca: ca, dnsNames: dnsNames, now: now) {
                current = renewed
            }
            return (current.chain, current.key, current.notAfter)
        }
    }

    /// A server configuration whose certificate is chosen per handshake.
    func tlsConfiguration() throws -> TLSConfiguration {
        let first = current()
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: first.chain.map { .certificate($0) }, privateKey: .privateKey(first.key))
        configuration.applicationProtocols = ["http/1.1"]
        configuration.sslContextCallback = { [self] _, promise in
            let now = current()
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = now.chain.map { .certificate($0) }
            override.privateKey = .privateKey(now.key)
            promise.succeed(override)
        }
        return configuration
    }

    private static func issue(ca: CertificateAuthority, dnsNames: [String], now: Date) throws -> Current {
        let serving = try ca.issueServingCertificate(dnsNames: dnsNames)
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(serving.certificateChainPEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(serving.privateKeyPEM.utf8), format: .pem)
        let renewAt = now.addingTimeInterval(max(1, serving.notAfter.timeIntervalSince(now) / 2))
        return Current(chain: chain, key: key, renewAt: renewAt, notAfter: serving.notAfter)
    }
}
