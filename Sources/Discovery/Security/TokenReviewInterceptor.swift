public import CertificateAuthority
import Foundation
public import GRPCCore

/// Runs the (asynchronous) TokenReview before an xDS or CSR handler sees the call, so that the synchronous
/// authenticators can decide from `TokenReviewer.cached`. It never refuses a call itself: the authenticator
/// chain does, with the reason the review recorded, and a caller with a valid client certificate is not held
/// back by a bad token.
///
/// Tokens that meshd itself signed (issuer `meshd`) are left to the CA and never sent to the API server.
public struct TokenReviewInterceptor: ServerInterceptor {
    let reviewer: TokenReviewer

    public init(reviewer: TokenReviewer) {
        self.reviewer = reviewer
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        await prepare(request.metadata)
        return try await next(request, context)
    }

    /// Reviews the bearer token in `metadata`, if it is a Kubernetes one; the outcome lands in the cache.
    public func prepare(_ metadata: Metadata) async {
        guard let token = CertificateService.bearerToken(in: metadata), !Self.isMeshdToken(token) else { return }
        _ = try? await reviewer.review(token)
    }

    /// Whether the JWT's unverified `iss` claim is `meshd`: such a token is verified by the CA, never reviewed.
    static func isMeshdToken(_ token: String) -> Bool {
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3 else { return false }
        var payload = segments[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
        guard let data = Data(base64Encoded: payload),
            let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return claims["iss"] as? String == "meshd"
    }
}
