/// One reason a resource would be refused, relative to the object: `spec.http[0].route[1].weight` and why.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    public var fieldPath: String
    public var reason: String

    public init(fieldPath: String, reason: String) {
        self.fieldPath = fieldPath
        self.reason = reason
    }

    public var description: String { "\(fieldPath): \(reason)" }
}
