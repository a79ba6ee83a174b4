extension YAMLField {
    /// A duration as Istio's YAML accepts it: Go's `time.ParseDuration` syntax (`10s`, `1.5s`, `100ms`, `1h30m`,
    /// `-2s`), which includes the protobuf JSON form (`1.000340s`). An error naming the syntax otherwise.
    func goDuration() -> Duration? {
        guard let text = string() else { return nil }
        guard let duration = GoDuration.parse(text.trimmingSpaces()) else {
            context.error(
                path, "invalid duration \"\(text)\"; expected a number with a unit such as 10s, 100ms or 1h30m",
                node: node)
            return nil
        }
        return duration
    }
}

extension YAMLMapping {
    func goDuration(_ key: String) -> Duration? { self[key]?.goDuration() }
}

/// Parses Go's duration syntax into a `Duration`. Pure.
public enum GoDuration {
    private static let units: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return .zero }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            // Longest suffix first so "ms" is not read as "m".
            guard
                let unit = units.filter({ rest.hasPrefix($0.suffix) }).max(by: { $0.suffix.count < $1.suffix.count })
            else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            total += value * unit.nanoseconds
        }
        let nanoseconds = (negative ? -total : total).rounded()
        guard abs(nanoseconds) < 9.2e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }
}

extension Duration {
    /// Whole milliseconds (truncated), for messages and Envoy fields.
    package var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Go's way of writing a duration, as a user would: `10s`, `1.5s`, `100ms`.
    package var shortDescription: String {
        let milliseconds = self.milliseconds
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        if abs(milliseconds) < 1000 { return "\(milliseconds)ms" }
        return "\(Double(milliseconds) / 1000)s"
    }
}
