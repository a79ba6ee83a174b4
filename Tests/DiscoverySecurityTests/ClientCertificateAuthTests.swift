import CertificateAuthority
import Discovery
import EnvoyAPI
import Foundation
import GRPCCore
import Testing
import XDSClient
import XDSServer

/// The secure xDS port (15012) authenticates a proxy by its client certificate from meshd's CA (how a proxy
/// renews), still takes a bootstrap token without one, and refuses a certificate from another CA.
@Suite("Client-certificate authentication on the secure xDS port")
struct ClientCertificateAuthTests {
    static let identityA = SPIFFEIdentity(trustDomain: "cluster.local", namespace: "default", serviceAccount: "a")

    @Test("a meshd-issued client certificate alone identifies the proxy; SDS answers for that identity")
    func clientCertificateIdentifiesTheProxy() async throws {
        try await SecureMeshd.withSecurePort { meshd, port in
            let certificate = try meshd.ca.issueWorkloadCertificate(for: Self.identityA, ttl: .seconds(600))
            let tls = XDSClientTLS(
                trustRootsPEM: meshd.ca.trustBundlePEM, certificateChainPEM: certificate.certificateChainPEM,
                privateKeyPEM: certificate.privateKeyPEM)
            let secrets = try await Self.secrets(port: port, tls: tls, claiming: "a")
            #expect(secrets.map(\.name).sorted() == ["ROOTCA", "default"])
            let own = try #require(secrets.first { $0.name == "default" })
            #expect(
                try SecretScopeTests.uris(ofLeafIn: own.tlsCertificate.certificateChain.inlineString) == [
                    Self.identityA.uri
                ])
            // The certificate proves A, so a node claiming B is refused.
            let error = await #expect(throws: RPCError.self) {
                _ = try await Self.secrets(port: port, tls: tls, claiming: "b")
            }
            #expect(error?.code == .permissionDenied, "\(String(describing: error))")
        }
    }

    @Test("without a client certificate, a bootstrap token still works, and nothing at all is refused")
    func tokenWithoutCertificate() async throws {
        try await SecureMeshd.withSecurePort { meshd, port in
            let tls = XDSClientTLS(trustRootsPEM: meshd.ca.trustBundlePEM)
            let token = try meshd.ca.mintToken(namespace: "default", serviceAccount: "a", ttl: .seconds(600))
            let secrets = try await Self.secrets(
                port: port, tls: tls, metadata: SecureMeshd.bearer(token), claiming: "a")
            #expect(secrets.map(\.name).sorted() == ["ROOTCA", "default"])
            let error = await #expect(throws: RPCError.self) {
                _ = try await Self.secrets(port: port, tls: tls, claiming: "a")
            }
            #expect(error?.code == .unauthenticated, "\(String(describing: error))")
        }
    }

    @Test("a client certificate from another CA fails the handshake")
    func foreignCertificateIsRefused() async throws {
        try await SecureMeshd.withSecurePort { meshd, port in
            let foreign = try SecureMeshd.makeCA().issueWorkloadCertificate(for: Self.identityA, ttl: .seconds(600))
            let tls = XDSClientTLS(
                trustRootsPEM: meshd.ca.trustBundlePEM, certificateChainPEM: foreign.certificateChainPEM,
                privateKeyPEM: foreign.privateKeyPEM)
            await #expect(throws: (any Error).self) {
                _ = try await Self.secrets(port: port, tls: tls, claiming: "a")
            }
        }
    }

    /// Opens an ADS stream over TLS as a proxy of `default/<serviceAccount>` and returns its first SDS answer.
    static func secrets(
        port: Int, tls: XDSClientTLS, metadata: Metadata = [:], claiming serviceAccount: String
    ) async throws -> [Envoy_Extensions_TransportSockets_Tls_V3_Secret] {
        let node = ProxyIdentityTests.node(namespace: "default", serviceAccount: serviceAccount)
        let response = try await XDSClient.withADSStream(
            to: .tcp(host: "127.0.0.1", port: port), metadata: metadata, tls: tls
        ) {
            stream in
            stream.send(.make(type: XDSType.secret.rawValue, names: ["default", "ROOTCA"], node: node))
            var responses = stream.responses.makeAsyncIterator()
            return try await nextResponse(&responses)
        }
        return try response.resources.map { try Envoy_Extensions_TransportSockets_Tls_V3_Secret(unpackingAny: $0) }
    }
}
