/// One YAML document cut out of a multi-document stream, with the line it starts on.
struct YAMLDocumentText: Sendable, Hashable {
    /// 1-based index of the document in the file (counting empty documents too, as kubectl does).
    var index: Int
    /// Number of lines in the file before this document's first line.
    var lineOffset: Int
    var text: String
}

/// Splits a YAML stream on `---` separators so that a broken document does not hide the ones after it.
///
/// A `---` at the start of a line always starts a new document in YAML, even inside a block scalar, so a line-based
/// split agrees with a real parser. `...` end markers are dropped, and `%` directives are kept with their document.
enum YAMLDocumentSplitter {
    static func split(_ yaml: String) -> [YAMLDocumentText] {
        var documents: [YAMLDocumentText] = []
        var current: [Substring] = []
        var currentOffset = 0
        var sawSeparator = false
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)

        func finish() {
            let text = current.joined(separator: "\n")
            documents.append(YAMLDocumentText(index: documents.count + 1, lineOffset: currentOffset, text: text))
        }

        for (number, rawLine) in lines.enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if isSeparator(line) {
                // Text before the first separator is a document only if it holds something.
                if sawSeparator || current.contains(where: { !isBlankOrComment($0) }) { finish() }
                sawSeparator = true
                current = []
                currentOffset = number
                // `--- value` keeps the value on the separator's line, so line numbers stay right.
                let rest = line.dropFirst(3)
                current.append(rest.isEmpty ? "" : "   " + rest)
                continue
            }
            if line == "..." || line.hasPrefix("... ") {
                current.append("")
                continue
            }
            current.append(line)
        }
        finish()
        return documents
    }

    private static func isSeparator(_ line: Substring) -> Bool {
        guard line.hasPrefix("---") else { return false }
        let rest = line.dropFirst(3)
        return rest.isEmpty || rest.first == " " || rest.first == "\t"
    }

    static func isBlankOrComment(_ line: Substring) -> Bool {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        return trimmed.isEmpty || trimmed.hasPrefix("#")
    }
}
