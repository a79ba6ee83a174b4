import CertificateAuthority
import Discovery
import EnvoyAPI
import Foundation
import Testing
import XDSClient
import XDSServer

/// A root rotation reaches connected proxies: their `ROOTCA` gains the new root next to the old one.
@Suite("Root rotation push over real gRPC")
struct RootRotationPushTests {
    @Test("after rotateRoot and an SDS push, a connected proxy's ROOTCA holds both roots")
    func rotationPushesTheNewBundle() async throws {
        try await SecureMeshd.with { meshd, port in
            let token = try meshd.ca.mintToken(namespace: "default", serviceAccount: "a", ttl: .seconds(600))
            let node = ProxyIdentityTests.node(namespace: "default", serviceAccount: "a")
            let bundles = try await XDSClient.withADSStream(
                to: .tcp(host: "127.0.0.1", port: port), metadata: SecureMeshd.bearer(token)
            ) { stream in
                var responses = stream.responses.makeAsyncIterator()
                stream.send(.make(type: XDSType.secret.rawValue, names: ["ROOTCA"], node: node))
                let before = try await nextResponse(&responses)
                stream.send(
                    .make(
                        type: XDSType.secret.rawValue, names: ["ROOTCA"], version: before.versionInfo,
                        nonce: before.nonce))
                try meshd.ca.rotateRoot()
                meshd.ads.push(PushRequest(types: [.secret]))
                let after = try await nextResponse(&responses)
                return try [before, after].map { response in
                    try response.resources.map { try Envoy_Extensions_TransportSockets_Tls_V3_Secret(unpackingAny: $0) }
                        .first { $0.name == "ROOTCA" }?.validationContext.trustedCa.inlineString ?? ""
                }
            }
            let certificates = bundles.map { $0.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1 }
            #expect(certificates == [1, 2], "roots in ROOTCA before and after the rotation: \(certificates)")
            #expect(bundles[1] == meshd.ca.trustBundlePEM)
            #expect(
                bundles[1].contains(bundles[0].trimmingCharacters(in: .whitespacesAndNewlines)),
                "the old root stays trusted")
        }
    }
}
