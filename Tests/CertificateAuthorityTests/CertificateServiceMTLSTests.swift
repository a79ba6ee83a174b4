import CertificateAuthority
import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing
import X509

/// The renewal path: on a TLS port with the CA's serving certificate, a proxy proves its identity with the
/// client certificate the CA issued it, without a token. Shows how the 15012 server wires the authenticator.
@Suite("CSR gRPC service over mutual TLS")
struct CertificateServiceMTLSTests {
    @Test("a client certificate from this CA renews its own identity; a CSR for another identity is refused")
    func renewsWithClientCertificate() async throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        let ca = try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        let identity = SPIFFEIdentity(namespace: "default", serviceAccount: "reviews")
        let clientCertificate = try ca.issueWorkloadCertificate(for: identity)

        var renew = Istio_V1_Auth_IstioCertificateRequest()
        renew.csr = try TestPKI.makeCSR(uri: identity.uri)
        var steal = Istio_V1_Auth_IstioCertificateRequest()
        steal.csr = try TestPKI.makeCSR(uri: "spiffe://cluster.local/ns/default/sa/admin")
        let requests = (renew, steal)

        let (chain, refusal) = try await withMTLSServer(ca: ca, client: clientCertificate) { client in
            let chain = try await client.createCertificate(requests.0).certChain
            do {
                _ = try await client.createCertificate(requests.1)
                return (chain, RPCError.Code?.none)
            } catch let error as RPCError {
                return (chain, error.code)
            }
        }
        let leaf = try #require(try chain.flatMap(TestPKI.certificates(inPEM:)).first)
        #expect(try TestPKI.uriSANs(of: leaf) == [identity.uri])
        #expect(refusal == .permissionDenied)
    }

    private func withMTLSServer<Result: Sendable>(
        ca: CertificateAuthority, client: IssuedCertificate,
        _ body:
            @Sendable (Istio_V1_Auth_IstioCertificateService.Client<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let serving = try ca.issueServingCertificate()
        let roots = try TestPKI.certificates(inPEM: ca.trustBundlePEM).map { try pemSource($0) }
        let authenticate = CertificateService.standardAuthenticator(ca: ca) { caller in
            (caller.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate.map { [$0] }
        }
        let service = CertificateService(ca: ca, authenticate: authenticate)
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: "127.0.0.1", port: 0),
            transportSecurity: .mTLS(
                certificateChain: try TestPKI.certificates(inPEM: serving.certificateChainPEM).map(pemSource),
                privateKey: .bytes(Array(serving.privateKeyPEM.utf8), format: .pem)
            ) { config in
                config.trustRoots = .certificates(roots)
                config.clientCertificateVerification = .noHostnameVerification
            })
        let server = GRPCServer(transport: transport, services: [service])
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            guard let address = try await transport.listeningAddress.ipv4 else {
                throw CAError(reason: "the test server did not bind an IPv4 address")
            }
            let clientTransport = try HTTP2ClientTransport.Posix(
                target: .ipv4(address: "127.0.0.1", port: address.port),
                transportSecurity: .mTLS(
                    certificateChain: try TestPKI.certificates(inPEM: client.certificateChainPEM).map(pemSource),
                    privateKey: .bytes(Array(client.privateKeyPEM.utf8), format: .pem)
                ) { config in
                    config.trustRoots = .certificates(roots)
                    config.serverCertificateVerification = .noHostnameVerification
                })
            return try await withGRPCClient(transport: clientTransport) { grpc in
                try await body(Istio_V1_Auth_IstioCertificateService.Client(wrapping: grpc))
            }
        }
    }

    private func pemSource(_ certificate: Certificate) throws -> TLSConfig.CertificateSource {
        .bytes(Array(try certificate.serializeAsPEM().pemString.utf8), format: .pem)
    }
}
