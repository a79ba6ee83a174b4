import CertificateAuthority
import Foundation
import GRPCCore
import Logging
import Registry
import Testing

@testable import Discovery

/// Kubernetes identities: a proxy's service-account token is checked with the API server's TokenReview.
@Suite struct TokenReviewTests {
    static let stub = StubTokenReviewServer(
        tokens: [
            "good-token": .init(namespace: "bookinfo", serviceAccount: "reviews", audiences: ["istio-ca"]),
            "api-audience-token": .init(
                namespace: "bookinfo", serviceAccount: "reviews", audiences: ["https://kubernetes.default.svc"]),
            "orphan-token": .init(namespace: "bookinfo", serviceAccount: "deleted", audiences: ["istio-ca"]),
        ],
        serviceAccounts: ["bookinfo/reviews"])

    /// A reviewer talking to `server` over HTTP; shut down when `body` ends.
    func withReviewer<T: Sendable>(
        _ server: StubTokenReviewServer = stub, _ body: @Sendable (TokenReviewer) async throws -> T
    ) async throws -> T {
        try await server.serve { url in
            let transport = try HTTPTokenReviewTransport(
                connection: KubernetesConnection(server: url, credentials: .token(server.callerToken)))
            let reviewer = TokenReviewer(transport: transport)
            do {
                let result = try await body(reviewer)
                try await transport.shutdown()
                return result
            } catch {
                try? await transport.shutdown()
                throw error
            }
        }
    }

    @Test func goodTokenIsAdmittedWithItsServiceAccountIdentity() async throws {
        let server = StubTokenReviewServer(
            tokens: ["good-token": .init(namespace: "bookinfo", serviceAccount: "reviews", audiences: ["istio-ca"])],
            serviceAccounts: ["bookinfo/reviews"])
        let identity = try await withReviewer(server) { try await $0.review("good-token") }
        #expect(identity.uri == "spiffe://cluster.local/ns/bookinfo/sa/reviews")
        let sent = server.lastRequest
        let spec = sent?["spec"] as? [String: Any]
        #expect(spec?["audiences"] as? [String] == ["istio-ca"])
        #expect(sent?["kind"] as? String == "TokenReview")
    }

    @Test func tokenForAnotherAudienceIsRefused() async throws {
        let outcome = try await withReviewer { reviewer in
            await #expect(throws: TokenReviewError.self) { try await reviewer.review("api-audience-token") }
            return reviewer.cached("api-audience-token")
        }
        guard case .refused(.notAuthenticated(let reason))? = outcome else {
            Issue.record("expected a cached refusal, got \(String(describing: outcome))")
            return
        }
        #expect(reason.contains("audiences"))
    }

    @Test func unknownServiceAccountIsRefused() async throws {
        try await withReviewer { reviewer in
            let error = await #expect(throws: TokenReviewError.self) { try await reviewer.review("orphan-token") }
            #expect(error?.description.contains("has been deleted") == true)
            await #expect(throws: TokenReviewError.self) { try await reviewer.review("never-issued") }
        }
    }

    @Test func answerWithoutTheIstioCAAudienceIsRefused() throws {
        let status = try JSONDecoder().decode(
            TokenReviewResponse.self,
            from: Data(
                #"{"status":{"authenticated":true,"user":{"username":"system:serviceaccount:a:b"},"audiences":["other"]}}"#
                    .utf8))
        #expect(throws: TokenReviewError.wrongAudience(["other"])) {
            try TokenReviewer.identity(from: status.status ?? .init(), trustDomain: "cluster.local")
        }
        let user = try JSONDecoder().decode(
            TokenReviewResponse.self,
            from: Data(
                #"{"status":{"authenticated":true,"user":{"username":"jane@example.com"},"audiences":["istio-ca"]}}"#
                    .utf8))
        #expect(throws: TokenReviewError.notAServiceAccount("jane@example.com")) {
            try TokenReviewer.identity(from: user.status ?? .init(), trustDomain: "cluster.local")
        }
    }

    @Test func admissionsAreCachedSoTheAPIServerIsAskedOnce() async throws {
        let server = StubTokenReviewServer(
            tokens: ["t": .init(namespace: "ns", serviceAccount: "sa", audiences: ["istio-ca"])],
            serviceAccounts: ["ns/sa"])
        try await withReviewer(server) { reviewer in
            for _ in 0..<3 { try await reviewer.review("t") }
            #expect(server.requestCount == 1)
            #expect(reviewer.cached("t") == .admitted(SPIFFEIdentity(namespace: "ns", serviceAccount: "sa")))
        }
    }

    @Test func missingPermissionIsReportedAndNotCached() async throws {
        let server = StubTokenReviewServer(tokens: [:], serviceAccounts: [], forbidden: true)
        try await withReviewer(server) { reviewer in
            let error = await #expect(throws: TokenReviewError.self) { try await reviewer.review("good-token") }
            #expect(error?.description.contains("ClusterRole") == true)
            #expect(reviewer.cached("good-token") == nil)
        }
    }

    /// The chain the xDS and CSR servers use: the interceptor reviews, the synchronous authenticator decides.
    @Test func authenticatorChainAdmitsReviewedTokensOnly() async throws {
        let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-tr-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: stateDirectory) }
        let ca = try CertificateAuthority.load(
            stateDirectory: stateDirectory.path, pluginDirectory: nil, options: CAOptions())
        try await withReviewer { reviewer in
            var authenticator = ProxyAuthenticator(ca: ca, logger: Logger(label: "test"))
            authenticator.tokenReview = reviewer
            let interceptor = try #require(authenticator.interceptors.first as? TokenReviewInterceptor)
            func caller(_ token: String) -> CertificateService.Caller {
                CertificateService.Caller(
                    remotePeer: "ipv4:10.0.0.7:5000", metadata: ["authorization": "Bearer \(token)"])
            }
            let authenticate = authenticator.csrAuthenticator
            // Not reviewed yet: refused without I/O.
            #expect(throws: CAError.self) { try authenticate(caller("good-token")) }
            await interceptor.prepare(caller("good-token").metadata)
            #expect(try authenticate(caller("good-token")).uri == "spiffe://cluster.local/ns/bookinfo/sa/reviews")
            await interceptor.prepare(caller("orphan-token").metadata)
            let error = #expect(throws: CAError.self) { try authenticate(caller("orphan-token")) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("has been deleted"))
            // meshd's own tokens still work and are never sent to the API server.
            let before = Self.stub.requestCount
            let own = try ca.mintToken(namespace: "default", serviceAccount: "sleep", ttl: .seconds(60))
            await interceptor.prepare(caller(own).metadata)
            #expect(try authenticate(caller(own)).serviceAccount == "sleep")
            #expect(Self.stub.requestCount == before)
        }
    }
}
