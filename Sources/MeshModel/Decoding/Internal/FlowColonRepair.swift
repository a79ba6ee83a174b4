import Yams

/// Reads plain scalars that end in `:` inside flow collections the way Go's YAML parser does.
///
/// libyaml refuses a plain scalar in a flow collection whose `:` is directly followed by `,`, `]` or `}`
/// ("found unexpected ':'"), so `[1.2.3.4, 001:db8::]` does not parse. Go's parser (which kubectl and istiod use)
/// reads that `:` as part of the scalar, giving the string `001:db8::`. When libyaml reports exactly that error,
/// the offending scalar is single-quoted on its line (columns shift, lines do not) and the text parsed again. Only
/// scalars without quotes, comments or other indicators are touched; anything else keeps libyaml's error.
enum FlowColonRepair {
    /// At most this many scalars are quoted per document, so a hostile file costs a bounded number of parses.
    static let maximumRepairs = 32

    /// The text with the scalar at the error quoted, or nil when the error is not this case.
    static func repaired(_ text: String, after error: any Error) -> String? {
        guard let yamlError = error as? YamlError, case .scanner(_, let problem, let mark, _) = yamlError,
            problem == "found unexpected ':'"
        else { return nil }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        let lineIndex = mark.line - 1
        guard lines.indices.contains(lineIndex), let quoted = quote(lines[lineIndex], near: mark.column) else {
            return nil
        }
        lines[lineIndex] = quoted
        return lines.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }

    /// `line` with the plain scalar whose bad `:` is at (1-based, or 0-based) `column` in single quotes.
    static func quote(_ line: [UInt8], near column: Int) -> [UInt8]? {
        let colon = UInt8(ascii: ":")
        let enders: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")]
        // libyaml's columns count characters; the scalars this repairs are ASCII, so bytes agree up to the colon
        // whenever the line before it is ASCII too. Try the 1-based reading first.
        guard
            let position = [column - 1, column].first(where: { index in
                line.indices.contains(index) && line[index] == colon && index + 1 < line.count
                    && enders.contains(line[index + 1])
            })
        else { return nil }
        // Only a plain scalar of letters, digits and `.:-_/` (an address, a host:port): nothing a quote would change.
        let allowed = { (byte: UInt8) in
            (byte >= 0x30 && byte <= 0x3A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "/")
        }
        var start = position
        while start > 0 && allowed(line[start - 1]) { start -= 1 }
        // It must stand where a flow node starts: after `[`, `,` or `{`, or after `: ` (a mapping value).
        var before = start
        while before > 0 && (line[before - 1] == UInt8(ascii: " ") || line[before - 1] == UInt8(ascii: "\t")) {
            before -= 1
        }
        guard before > 0, line[start] != colon else { return nil }
        let indicator = line[before - 1]
        let flowStart =
            indicator == UInt8(ascii: "[") || indicator == UInt8(ascii: ",") || indicator == UInt8(ascii: "{")
        guard flowStart || (indicator == colon && before < start) else { return nil }
        let scalar = line[start...position]
        let quote = UInt8(ascii: "'")
        return Array(line[..<start]) + [quote] + scalar + [quote] + Array(line[(position + 1)...])
    }
}
