import CertificateAuthority
import Discovery
import Foundation
import MeshTestSupport
import Registry
import Testing

/// TokenReview against the shared fake API server (Tests/MeshTestSupport/FakeKubernetes), as `serve
/// --kubernetes-token-review --kubeconfig` would talk to it.
@Suite struct TokenReviewFakeAPIServerTests {
    @Test func fakeAPIServerAdmitsOnlyIstioCATokensOfKnownServiceAccounts() async throws {
        let fake = FakeKubernetes()
        fake.addToken(
            "reviews-token", FakeToken(namespace: "bookinfo", serviceAccount: "reviews", podName: "reviews-v1-abc"))
        fake.addToken(
            "api-token",
            FakeToken(namespace: "bookinfo", serviceAccount: "reviews", audiences: ["https://kubernetes.default.svc"]))
        try await fake.serving { port in
            let transport = try HTTPTokenReviewTransport(
                connection: KubernetesConnection(server: "http://127.0.0.1:\(port)"))
            let reviewer = TokenReviewer(transport: transport, trustDomain: "cluster.local")
            do {
                let identity = try await reviewer.review("reviews-token")
                #expect(identity == SPIFFEIdentity(namespace: "bookinfo", serviceAccount: "reviews"))
                await #expect(throws: TokenReviewError.self) { try await reviewer.review("api-token") }
                await #expect(throws: TokenReviewError.self) { try await reviewer.review("token-of-unknown-account") }
                #expect(fake.tokenReviewCount == 3)
            } catch {
                try? await transport.shutdown()
                throw error
            }
            try await transport.shutdown()
        }
    }
}
