public import CertificateAuthority
public import GRPCCore

extension ProxyAuthenticator {
    /// The gRPC interceptors the xDS and CSR servers need for this authenticator: the TokenReview pre-check in
    /// Kubernetes mode, none otherwise.
    public var interceptors: [any ServerInterceptor] {
        tokenReview.map { [TokenReviewInterceptor(reviewer: $0)] } ?? []
    }

    /// `standard` (client certificate, then meshd-signed token), falling back to the TokenReview outcome for a
    /// Kubernetes token. Synchronous: it reads what `TokenReviewInterceptor` put in the cache and never does I/O.
    static func chaining(
        _ standard: @escaping CertificateService.Authenticator, tokenReview: TokenReviewer
    ) -> CertificateService.Authenticator {
        { caller in
            do {
                return try standard(caller)
            } catch {
                guard let token = CertificateService.bearerToken(in: caller.metadata),
                    !TokenReviewInterceptor.isMeshdToken(token)
                else { throw error }
                switch tokenReview.cached(token) {
                case .admitted(let identity)?: return identity
                case .refused(let refusal)?: throw CAError(field: "caller", reason: "\(refusal)")
                case nil: throw CAError(field: "caller", reason: "kubernetes token review: the token was not reviewed")
                }
            }
        }
    }
}
