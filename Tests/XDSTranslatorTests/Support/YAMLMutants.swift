import Foundation

/// Mutants of a mesh's YAML: one scalar value replaced by an edge value of its kind (zero, one, the largest
/// port, 2^32 - 1, a 1 ms or 10-year duration, an empty or wildcard string, the other boolean). Each mutant changes
/// one line, so the ones meshd still accepts are close to real configs and reach the translator's corners.
///
/// Deterministic: the same input and seed give the same mutants in the same order.
struct YAMLMutants {
    private static let integers = ["0", "1", "2", "65535", "4294967295", "2147483648"]
    private static let durations = ["0s", "1ms", "0.000001s", "87600h", "1.5s"]
    private static let decimals = ["0", "0.0001", "99.9999", "100"]
    private static let strings = ["\"\"", "\"*\"", "\"A\"", "\"a.b-c\"", "\"x:y\"", "\"/\""]
    private static let durationSuffixes = ["ms", "s", "m", "h"]

    /// Every single-value mutant of `yaml`, in line order.
    static func all(of yaml: String) -> [String] {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var mutants: [String] = []
        for (index, line) in lines.enumerated() {
            guard let (prefix, value) = scalar(in: line) else { continue }
            for replacement in candidates(for: value) where replacement != value {
                var copy = lines
                copy[index] = prefix + replacement
                mutants.append(copy.joined(separator: "\n"))
            }
        }
        return mutants
    }

    /// A deterministic sample of at most `limit` mutants (SplitMix64 from `seed`).
    static func sample(of yaml: String, limit: Int, seed: UInt64) -> [String] {
        var mutants = all(of: yaml)
        var state = seed
        for index in mutants.indices.reversed() where index > 0 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            mutants.swapAt(index, Int(z % UInt64(index + 1)))
        }
        return Array(mutants.prefix(limit))
    }

    /// `key: value` (or `- key: value`) with a plain scalar value; nil for keys, block starts and flow collections.
    private static func scalar(in line: String) -> (prefix: String, value: String)? {
        let trimmed = line.drop { $0 == " " }
        guard !trimmed.hasPrefix("#"), let colon = line.range(of: ": ") else { return nil }
        let value = String(line[colon.upperBound...])
        guard !value.isEmpty, let first = value.first, !"{[|>&*!#".contains(first) else { return nil }
        let key = line[..<colon.lowerBound].drop { $0 == " " || $0 == "-" }
        // Kinds and API versions only make the object unreadable; names and namespaces only break references.
        guard !["apiVersion", "kind"].contains(String(key)) else { return nil }
        return (String(line[..<colon.upperBound]), value)
    }

    private static func candidates(for value: String) -> [String] {
        let bare = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        if Int(bare) != nil { return integers }
        if Double(bare) != nil { return decimals }
        if bare == "true" || bare == "false" { return [bare == "true" ? "false" : "true"] }
        if durationSuffixes.contains(where: { bare.hasSuffix($0) && Double(bare.dropLast($0.count)) != nil }) {
            return durations
        }
        return strings
    }
}
