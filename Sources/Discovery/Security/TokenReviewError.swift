/// Why a proxy's Kubernetes token was not accepted. Never carries the token itself.
public enum TokenReviewError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The API server says the token is not valid (bad signature, expired, deleted service account or pod).
    case notAuthenticated(String)
    /// The token is valid but not for audience `istio-ca`.
    case wrongAudience([String])
    /// The token authenticates a user that is not a service account.
    case notAServiceAccount(String)
    /// The API server could not be asked, or refused to answer (RBAC, outage).
    case unavailable(String)
    /// meshd's own configuration for talking to the API server is unusable.
    case configuration(String)

    public var description: String {
        switch self {
        case .notAuthenticated(let reason): "kubernetes token review: the token is not authenticated: \(reason)"
        case .wrongAudience(let audiences):
            "kubernetes token review: the token is for audiences \(audiences), not \(TokenReviewer.audience)"
        case .notAServiceAccount(let user): "kubernetes token review: \(user) is not a service account"
        case .unavailable(let reason): "kubernetes token review failed: \(reason)"
        case .configuration(let reason): "kubernetes token review: \(reason)"
        }
    }
}
