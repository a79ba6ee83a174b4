/// Why a request to the Kubernetes API server failed, in the terms an informer acts on.
public enum KubernetesError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `410 Gone`: the resourceVersion (or continue token) is older than the server keeps. The informer relists.
    case gone(String)
    /// `404 Not Found` on a collection: for a custom resource, its CRD is not installed.
    case notFound(String)
    /// Any other non-success status, with the server's message.
    case status(code: Int, message: String)
    /// A body that is not the JSON the API server sends.
    case malformed(String)
    /// Configuration (kubeconfig, in-cluster files) that cannot be used.
    case configuration(String)

    public var description: String {
        switch self {
        case .gone(let message): "410 Gone: \(message)"
        case .notFound(let message): "404 Not Found: \(message)"
        case .status(let code, let message): "HTTP \(code): \(message)"
        case .malformed(let reason): "malformed response: \(reason)"
        case .configuration(let reason): reason
        }
    }

    /// Maps an API `Status` (an HTTP error body or a watch `ERROR` event) to an error.
    static func from(code: Int, message: String) -> KubernetesError {
        switch code {
        case 410: .gone(message)
        case 404: .notFound(message)
        default: .status(code: code, message: message)
        }
    }
}
