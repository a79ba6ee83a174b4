/// Escaping and the few formatting helpers the status page renderers share.
///
/// Every string that reaches the page from outside (config values, node ids, Envoy's messages, file names)
/// goes through `escape` or `attribute`: a VirtualService may well carry `<script>` in a header match.
enum HTML {
    /// Text safe inside an element or a double-quoted attribute.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// ` name="value"` with the value escaped, for building tags.
    static func attribute(_ name: String, _ value: String) -> String { " \(name)=\"\(escape(value))\"" }

    /// The first line of `text`, cut to `limit` characters with an ellipsis: Envoy's messages can run long.
    static func firstLine(_ text: String, limit: Int = 160) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > limit ? String(line.prefix(limit)) + "…" : line
    }

    /// An age or duration the way an operator reads it: "850 ms", "4.2 s", "3 min", "2 h 5 min".
    static func age(seconds: Double) -> String {
        switch seconds {
        case ..<1: "\(Int((seconds * 1000).rounded())) ms"
        case ..<60: "\((seconds * 10).rounded() / 10) s"
        case ..<3600: "\(Int(seconds / 60)) min"
        default: "\(Int(seconds / 3600)) h \(Int(seconds.truncatingRemainder(dividingBy: 3600) / 60)) min"
        }
    }

    /// Milliseconds with at most one decimal: "12.3 ms".
    static func milliseconds(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) ms" : "\(rounded) ms"
    }
}
