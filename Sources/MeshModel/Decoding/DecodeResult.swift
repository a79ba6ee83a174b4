/// What one decode call produced: the objects whose documents were clean, and every error and warning.
///
/// A document with at least one error contributes no object, so a refused object is never half-applied.
public struct DecodeResult: Sendable, Hashable {
    public var objects: [ConfigObject]
    public var errors: [ConfigDiagnostic]
    public var warnings: [ConfigDiagnostic]

    public init(objects: [ConfigObject] = [], errors: [ConfigDiagnostic] = [], warnings: [ConfigDiagnostic] = []) {
        self.objects = objects
        self.errors = errors
        self.warnings = warnings
    }

    /// Errors followed by warnings.
    public var diagnostics: [ConfigDiagnostic] { errors + warnings }

    /// Keys of objects that were named by an error (their documents were refused).
    public var refusedKeys: Set<ResourceKey> { Set(errors.compactMap(\.object)) }

    /// True when some error could not be tied to an object (a document that did not parse, or had no name), so
    /// it is unknown which objects the file meant to declare.
    public var hasUnattributedErrors: Bool { errors.contains { $0.object == nil } }
}
