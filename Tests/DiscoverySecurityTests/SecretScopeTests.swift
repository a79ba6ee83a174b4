import CertificateAuthority
import Discovery
import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import MeshModel
import Testing
import X509
import XDSClient
import XDSServer

/// "A proxy that asks for another identity's secret receives nothing", through real gRPC: meshd's provider with
/// a CA behind an ADS server on 127.0.0.1, and `XDSClient` proxies that authenticate with bootstrap tokens.
@Suite("SDS secret scope over real gRPC")
struct SecretScopeTests {
    static let secretType = XDSType.secret.rawValue
    static let identityA = "spiffe://cluster.local/ns/default/sa/a"
    static let identityB = "spiffe://cluster.local/ns/default/sa/b"
    /// Every name that might plausibly address identity B's certificate or key.
    static let namesOfB = [
        identityB, "b", "default/b", "sa/b", "ns/default/sa/b", "kubernetes://b",
        "file-cert:/etc/certs/b/cert-chain.pem",
        "default~b", "spiffe://cluster.local/ns/default/sa/b/default",
    ]

    @Test("identity A gets its own default and ROOTCA, and nothing for identity B's secret names")
    func aProxyOnlyReceivesItsOwnSecrets() async throws {
        try await SecureMeshd.with { meshd, port in
            let token = try meshd.ca.mintToken(namespace: "default", serviceAccount: "a", ttl: .seconds(600))
            let node = ProxyIdentityTests.node(namespace: "default", serviceAccount: "a")
            let received = try await XDSClient.withADSStream(
                to: .tcp(host: "127.0.0.1", port: port), metadata: SecureMeshd.bearer(token)
            ) { stream in
                var responses = stream.responses.makeAsyncIterator()
                // Only B's names: an empty answer.
                stream.send(.make(type: Self.secretType, names: Self.namesOfB, node: node))
                let onlyB = try await nextResponse(&responses)
                // B's names next to A's own: only A's own come back.
                stream.send(
                    .make(
                        type: Self.secretType, names: Self.namesOfB + ["default", "ROOTCA"],
                        version: onlyB.versionInfo, nonce: onlyB.nonce))
                let mixed = try await nextResponse(&responses)
                return [onlyB, mixed]
            }
            let forB = try Self.names(received[0])
            #expect(forB.isEmpty, "secrets for B's names: \(forB)")
            let secrets = try received[1].resources.map {
                try Envoy_Extensions_TransportSockets_Tls_V3_Secret(unpackingAny: $0)
            }
            #expect(secrets.map(\.name).sorted() == ["ROOTCA", "default"])
            let own = try #require(secrets.first { $0.name == "default" })
            #expect(try Self.uris(ofLeafIn: own.tlsCertificate.certificateChain.inlineString) == [Self.identityA])
            #expect(!own.tlsCertificate.privateKey.inlineString.isEmpty)
            let root = try #require(secrets.first { $0.name == "ROOTCA" })
            #expect(root.validationContext.trustedCa.inlineString == meshd.ca.trustBundlePEM)
        }
    }

    @Test("a token for A with node metadata claiming B is refused; no credentials at all is refused")
    func aTokenForAClaimingBIsRefused() async throws {
        try await SecureMeshd.with { meshd, port in
            let token = try meshd.ca.mintToken(namespace: "default", serviceAccount: "a", ttl: .seconds(600))
            let claimsB = ProxyIdentityTests.node(namespace: "default", serviceAccount: "b")
            let error = await #expect(throws: RPCError.self) {
                try await Self.firstSecretResponse(port: port, metadata: SecureMeshd.bearer(token), node: claimsB)
            }
            #expect(error?.code == .permissionDenied, "\(String(describing: error))")
            let claimsA = ProxyIdentityTests.node(namespace: "default", serviceAccount: "a")
            let anonymous = await #expect(throws: RPCError.self) {
                try await Self.firstSecretResponse(port: port, metadata: [:], node: claimsA)
            }
            // No credentials is UNAUTHENTICATED (another identity is PERMISSION_DENIED), and the message says how to
            // get a credential.
            #expect(anonymous?.code == .unauthenticated, "\(String(describing: anonymous))")
            #expect(
                anonymous?.message.contains("meshd token --namespace default --service-account a") == true
                    && anonymous?.message.contains("Docs/security.md") == true,
                "\(String(describing: anonymous))")
        }
    }

    @Test("a 60 s workload certificate is re-issued at half-life, not at once (notBefore is back-dated)")
    func shortLivedCertificatesRotateAtHalfLife() throws {
        let ca = try SecureMeshd.makeCA()
        let certificates = WorkloadCertificates(ca: ca, ttl: .seconds(60))
        let identity = SPIFFEIdentity(trustDomain: "cluster.local", namespace: "default", serviceAccount: "a")
        let now = Date()
        let first = try #require(certificates.certificate(for: identity, now: now))
        let next = try #require(certificates.nextRotation)
        #expect(abs(next.timeIntervalSince(now) - 30) < 2, "next rotation in \(next.timeIntervalSince(now)) s")
        #expect(
            certificates.certificate(for: identity, now: now.addingTimeInterval(10))?.serialNumber == first.serialNumber
        )
        #expect(!certificates.rotateDue(now: now.addingTimeInterval(10)))
        #expect(certificates.rotateDue(now: now.addingTimeInterval(31)))
        #expect(
            certificates.certificate(for: identity, now: now.addingTimeInterval(31))?.serialNumber != first.serialNumber
        )
    }

    static func firstSecretResponse(port: Int, metadata: Metadata, node: Envoy_Config_Core_V3_Node) async throws {
        try await XDSClient.withADSStream(to: .tcp(host: "127.0.0.1", port: port), metadata: metadata) { stream in
            stream.send(.make(type: secretType, names: ["default", "ROOTCA"], node: node))
            var responses = stream.responses.makeAsyncIterator()
            _ = try await nextResponse(&responses)
        }
    }

    static func names(_ response: Envoy_Service_Discovery_V3_DiscoveryResponse) throws -> [String] {
        try response.resources.map { try Envoy_Extensions_TransportSockets_Tls_V3_Secret(unpackingAny: $0).name }
    }

    /// The URI SANs of the first certificate in a PEM chain.
    static func uris(ofLeafIn chainPEM: String) throws -> [String] {
        let end = "-----END CERTIFICATE-----"
        let leafPEM = try #require(chainPEM.components(separatedBy: end).first) + end + "\n"
        let leaf = try Certificate(pemEncoded: leafPEM)
        let names = try leaf.extensions.subjectAlternativeNames.map(Array.init) ?? []
        return names.compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name { return uri }
            return nil
        }
    }
}
