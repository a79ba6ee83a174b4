/// Hides PEM private-key blocks in text that meshd shows or logs: a key pasted by mistake into a config field
/// would otherwise be echoed by an error message, `/debug/configz`, the status page or the log.
///
/// A block is `-----BEGIN <kind>PRIVATE KEY-----` through the matching END line, with real or escaped (`\n`)
/// line breaks between, as it appears in YAML, JSON and quoted values. A BEGIN line with no END (a truncated
/// value) hides the rest of the text. Only the key is replaced; certificates and everything else stay.
public enum PrivateKeyRedaction {
    public static let placeholder = "[private key redacted]"

    /// `text` with every private-key block replaced by `placeholder`.
    public static func redact(_ text: String) -> String {
        guard text.contains("PRIVATE KEY-----") else { return text }
        var output = ""
        var rest = Substring(text)
        while let begin = rest.range(of: "-----BEGIN ") {
            guard let headerEnd = rest[begin.upperBound...].range(of: "-----"),
                rest[begin.upperBound..<headerEnd.lowerBound].hasSuffix("PRIVATE KEY"),
                rest[begin.upperBound..<headerEnd.lowerBound].allSatisfy({ $0.isUppercase || $0 == " " || $0.isNumber })
            else {
                output += rest[..<begin.upperBound]
                rest = rest[begin.upperBound...]
                continue
            }
            let kind = rest[begin.upperBound..<headerEnd.lowerBound]
            output += rest[..<begin.lowerBound]
            output += placeholder
            if let end = rest[headerEnd.upperBound...].range(of: "-----END \(kind)-----") {
                rest = rest[end.upperBound...]
            } else {
                return output
            }
        }
        return output + rest
    }
}
