/// Why the certificate authority refused something: the file or field concerned and the reason.
///
/// The text never contains key material.
public struct CAError: Error, CustomStringConvertible, Sendable {
    /// The file that was refused (a path), when the error is about a file.
    public var file: String?
    /// The field, claim or request part that was refused, when the error is about one.
    public var field: String?
    /// What is wrong, in words an operator can act on.
    public var reason: String
    /// Whether the caller asked for something it may not have (as opposed to something malformed); the CSR
    /// service maps it to PERMISSION_DENIED rather than INVALID_ARGUMENT.
    public var isPermissionDenied: Bool

    public init(file: String? = nil, field: String? = nil, reason: String, isPermissionDenied: Bool = false) {
        self.file = file
        self.field = field
        self.reason = reason
        self.isPermissionDenied = isPermissionDenied
    }

    public var description: String {
        switch (file, field) {
        case (let file?, let field?): "\(file): \(field): \(reason)"
        case (let file?, nil): "\(file): \(reason)"
        case (nil, let field?): "\(field): \(reason)"
        case (nil, nil): reason
        }
    }
}
