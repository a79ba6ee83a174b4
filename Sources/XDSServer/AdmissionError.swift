/// Why a provider refused to admit a proxy, in gRPC's terms: a proxy that proved nothing is told UNAUTHENTICATED
/// (and how to get a credential), one that proved another identity PERMISSION_DENIED, a malformed node
/// INVALID_ARGUMENT. Providers throw it from `admit(node:peer:)`; any other error is a refusal without a kind.
public struct AdmissionError: Error, CustomStringConvertible, Sendable {
    /// The kind of refusal; its raw value is the `reason` label of the refusal metric.
    public enum Reason: String, Sendable, CaseIterable {
        /// No credentials, or credentials that do not verify.
        case unauthenticated
        /// Valid credentials for another identity than the node claims.
        case permissionDenied = "permission_denied"
        /// The node itself is unusable (its id or metadata).
        case invalidNode = "invalid_node"
    }

    public var reason: Reason
    /// What is wrong and, for a missing credential, how to get one.
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}
