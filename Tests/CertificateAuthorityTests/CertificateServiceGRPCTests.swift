import CertificateAuthority
import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing
import X509

@Suite("CSR gRPC service over 127.0.0.1")
struct CertificateServiceGRPCTests {
    let identity = SPIFFEIdentity(namespace: "default", serviceAccount: "details")

    @Test("with a bootstrap token, a CSR for the token's identity is signed and the chain verifies")
    func signsWithToken() async throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let token = try ca.mintToken(namespace: "default", serviceAccount: "details", ttl: .seconds(600))
        var request = Istio_V1_Auth_IstioCertificateRequest()
        request.csr = try TestPKI.makeCSR(uri: identity.uri)
        request.validityDuration = 1000 * 86_400
        let response = try await call(ca: ca, request, metadata: ["authorization": "Bearer \(token)"])
        let chain = try response.certChain.flatMap(TestPKI.certificates(inPEM:))
        #expect(chain.count == 2)
        #expect(try TestPKI.uriSANs(of: chain[0]) == [identity.uri])
        #expect(chain[0].notValidAfter.timeIntervalSinceNow <= 90 * 86_400 + 1, "validity is capped")
        #expect(try ca.verifyClientChain(chain) == identity)
    }

    @Test("without a token the call is refused as unauthenticated, and nothing is signed")
    func refusesWithoutToken() async throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        var request = Istio_V1_Auth_IstioCertificateRequest()
        request.csr = try TestPKI.makeCSR(uri: identity.uri)
        await expectCode(.unauthenticated) { try await call(ca: ca, request) }
        await expectCode(.unauthenticated) {
            try await call(ca: ca, request, metadata: ["authorization": "Bearer nonsense"])
        }
        #expect(ca.status.issuedCount == 0)
    }

    @Test("a CSR for another identity is PERMISSION_DENIED; a malformed one INVALID_ARGUMENT")
    func refusesWrongOrMalformedCSR() async throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let token = try ca.mintToken(namespace: "default", serviceAccount: "details", ttl: .seconds(600))
        var request = Istio_V1_Auth_IstioCertificateRequest()
        request.csr = try TestPKI.makeCSR(uri: "spiffe://cluster.local/ns/istio-system/sa/istiod")
        await expectCode(.permissionDenied) {
            try await call(ca: ca, request, metadata: ["authorization": "Bearer \(token)"])
        }
        request.csr = "not a csr"
        await expectCode(.invalidArgument) {
            try await call(ca: ca, request, metadata: ["authorization": "Bearer \(token)"])
        }
    }

    @Test("requests past the per-identity burst are RESOURCE_EXHAUSTED")
    func rateLimited() async throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let token = try ca.mintToken(namespace: "default", serviceAccount: "details", ttl: .seconds(600))
        var request = Istio_V1_Auth_IstioCertificateRequest()
        request.csr = try TestPKI.makeCSR(uri: identity.uri)
        let limit = CSRRateLimit(burst: 2, refillPerSecond: 0)
        let message = request
        let responses = try await withCSRServer(ca: ca, rateLimit: limit) { client in
            var codes: [RPCError.Code?] = []
            for _ in 0..<3 {
                do {
                    _ = try await client.createCertificate(message, metadata: ["authorization": "Bearer \(token)"])
                    codes.append(nil)
                } catch let error as RPCError {
                    codes.append(error.code)
                }
            }
            return codes
        }
        #expect(responses == [nil, nil, .resourceExhausted])
    }

    // MARK: - Helpers

    private func makeCA() throws -> (CertificateAuthority, TemporaryDirectory) {
        let state = try TemporaryDirectory()
        return (
            try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions()), state
        )
    }

    private func call(
        ca: CertificateAuthority, _ request: Istio_V1_Auth_IstioCertificateRequest, metadata: Metadata = [:]
    ) async throws -> Istio_V1_Auth_IstioCertificateResponse {
        try await withCSRServer(ca: ca) { client in
            try await client.createCertificate(request, metadata: metadata)
        }
    }

    private func expectCode(
        _ code: RPCError.Code, _ body: () async throws -> Istio_V1_Auth_IstioCertificateResponse,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            _ = try await body()
            Issue.record("expected \(code), but the call succeeded", sourceLocation: sourceLocation)
        } catch let error as RPCError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected an RPCError \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }
}

/// Serves the CSR service on an ephemeral 127.0.0.1 port (plaintext) and runs `body` with a generated client.
func withCSRServer<Result: Sendable>(
    ca: CertificateAuthority, rateLimit: CSRRateLimit = CSRRateLimit(),
    _ body: @Sendable (Istio_V1_Auth_IstioCertificateService.Client<HTTP2ClientTransport.Posix>) async throws -> Result
) async throws -> Result {
    let service = CertificateService(
        ca: ca, rateLimit: rateLimit, authenticate: CertificateService.standardAuthenticator(ca: ca))
    let transport = HTTP2ServerTransport.Posix(
        address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
    let server = GRPCServer(transport: transport, services: [service])
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve() }
        defer { server.beginGracefulShutdown() }
        guard let address = try await transport.listeningAddress.ipv4 else {
            throw CAError(reason: "the test server did not bind an IPv4 address")
        }
        let clientTransport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: address.port), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: clientTransport) { grpc in
            try await body(Istio_V1_Auth_IstioCertificateService.Client(wrapping: grpc))
        }
    }
}
