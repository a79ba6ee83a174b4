/// One problem found while reading configuration: where it is (file, document, line), which object and field it
/// concerns, and why. Errors refuse the object's document; warnings only inform.
public struct ConfigDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// Whether the diagnostic refuses the document (`error`) or only informs (`warning`).
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var file: String
    /// 1-based index of the YAML document inside the file.
    public var document: Int
    /// 1-based line of the offending node, when known.
    public var line: Int?
    /// The object the document declares, when its kind, namespace and name could be read.
    public var object: ResourceKey?
    /// Dotted path of the field, e.g. `spec.http[0].route[1].weight`; empty for the document as a whole.
    public var fieldPath: String
    public var reason: String
    public var severity: Severity

    public init(
        file: String, document: Int, line: Int? = nil, object: ResourceKey? = nil, fieldPath: String, reason: String,
        severity: Severity
    ) {
        self.file = file
        self.document = document
        self.line = line
        self.object = object
        self.fieldPath = fieldPath
        self.reason = reason
        self.severity = severity
    }

    public var isError: Bool { severity == .error }

    /// `file:line: Kind/ns/name: field.path: reason`, leaving out the parts that are not known.
    public var description: String {
        var parts: [String] = []
        if let line { parts.append("\(file):\(line)") } else { parts.append(file) }
        if let object { parts.append(object.description) }
        if !fieldPath.isEmpty { parts.append(fieldPath) }
        parts.append(reason)
        return parts.joined(separator: ": ")
    }
}
