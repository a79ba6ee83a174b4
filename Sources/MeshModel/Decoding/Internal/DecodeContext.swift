import Yams

/// Collects the diagnostics and field lines of one object while it is decoded and validated.
///
/// Not thread-safe; one context lives only for the decoding of one document (or one `List` item).
final class DecodeContext {
    let file: String
    let document: Int
    /// Lines in the file before the document's text; added to Yams' document-relative lines.
    let lineOffset: Int
    /// Prefix for field paths of items inside a `List` document (`items[2]`), empty otherwise.
    let pathPrefix: String
    /// The object being decoded, once its kind, namespace and name are known.
    var object: ResourceKey?
    private(set) var errors: [ConfigDiagnostic] = []
    private(set) var warnings: [ConfigDiagnostic] = []
    /// File line of every field path visited, so that validation issues on typed values can name a line.
    private var lines: [String: Int] = [:]

    init(file: String, document: Int, lineOffset: Int, pathPrefix: String = "") {
        self.file = file
        self.document = document
        self.lineOffset = lineOffset
        self.pathPrefix = pathPrefix
    }

    /// The file line of a node.
    func line(of node: Node) -> Int? { node.mark.map { $0.line + lineOffset } }

    /// Remembers where `path` was found.
    func record(_ path: String, _ node: Node) {
        if lines[path] == nil, let line = line(of: node) { lines[path] = line }
    }

    /// The line of `path`, or of its nearest recorded ancestor (a missing field is reported at its parent).
    func line(forPath path: String) -> Int? {
        var candidate = path
        while !candidate.isEmpty {
            if let line = lines[candidate] { return line }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            candidate = String(candidate[..<cut])
        }
        return lines[""]
    }

    /// Field paths (without `pathPrefix`) that already have an error, so validation does not report a value the
    /// decoder could not read a second time (as the default it was left at).
    private(set) var errorPaths: Set<String> = []

    func error(_ path: String, _ reason: String, node: Node? = nil) {
        errorPaths.insert(path)
        errors.append(diagnostic(path, reason, node: node, severity: .error))
    }

    /// An error at an explicit file line (a parse error, where there is no node).
    func error(_ path: String, _ reason: String, line: Int?) {
        var diagnostic = diagnostic(path, reason, node: nil, severity: .error)
        diagnostic.line = line ?? diagnostic.line
        errors.append(diagnostic)
    }

    func warning(_ path: String, _ reason: String, node: Node? = nil) {
        warnings.append(diagnostic(path, reason, node: node, severity: .warning))
    }

    private func diagnostic(
        _ path: String, _ reason: String, node: Node?, severity: ConfigDiagnostic.Severity
    )
        -> ConfigDiagnostic
    {
        let line = lines[path] ?? node.flatMap(line(of:)) ?? line(forPath: path)
        let fullPath: String
        if pathPrefix.isEmpty {
            fullPath = path
        } else {
            fullPath = path.isEmpty ? pathPrefix : "\(pathPrefix).\(path)"
        }
        return ConfigDiagnostic(
            file: file, document: document, line: line, object: object, fieldPath: fullPath, reason: reason,
            severity: severity)
    }
}

extension String {
    /// `parent.child`, or `child` at the root.
    func appendingField(_ key: String) -> String { isEmpty ? key : "\(self).\(key)" }

    /// `parent[index]`.
    func appendingIndex(_ index: Int) -> String { "\(self)[\(index)]" }
}
