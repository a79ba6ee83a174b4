public import Foundation

/// Kubernetes `MicroTime` (a Lease's `acquireTime` and `renewTime`): RFC 3339 in UTC with exactly six fractional
/// digits, `2026-12-03T17:30:00.123456Z`. Parsing also takes fewer or more digits, no fraction, and numeric offsets,
/// as the API server's JSON decoder does. Pure.
public enum MicroTime {
    /// The wire form of `date`.
    public static func format(_ date: Date) -> String {
        // Rounded to the nearest microsecond, so that a parsed time formats back to the same text.
        let total = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = (total / 1_000_000).rounded(.down)
        let micros = min(max(Int(total - seconds * 1_000_000), 0), 999_999)
        let whole = Date(timeIntervalSince1970: seconds)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withDashSeparatorInDate, .withColonSeparatorInTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let digits = String(micros)
        return formatter.string(from: whole) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }

    /// The date a `MicroTime` (or `Time`) string denotes; nil when it is not RFC 3339.
    public static func parse(_ text: String) -> Date? {
        var base = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let rest = text[text.index(after: dot)...]
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return nil }
            fraction = Double("0." + digits) ?? 0
            base = String(text[..<dot]) + String(rest.dropFirst(digits.count))
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: base) else { return nil }
        return date.addingTimeInterval(fraction)
    }
}
