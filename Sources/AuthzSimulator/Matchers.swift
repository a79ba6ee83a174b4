import EnvoyAPI
import Foundation

/// Envoy's string, header, path, metadata-value and CIDR matchers, evaluated as Envoy evaluates them.
enum Matchers {
    /// `StringMatcher`: exact, prefix, suffix, contains, RE2 regex (full match); `ignore_case` for all but regex.
    static func matches(_ matcher: Envoy_Type_Matcher_V3_StringMatcher, _ value: String) -> Bool {
        let fold = { (text: String) in matcher.ignoreCase ? text.lowercased() : text }
        switch matcher.matchPattern {
        case .exact(let exact): return fold(value) == fold(exact)
        case .prefix(let prefix): return fold(value).hasPrefix(fold(prefix))
        case .suffix(let suffix): return fold(value).hasSuffix(fold(suffix))
        case .contains(let part): return fold(value).contains(fold(part))
        case .safeRegex(let regex): return RegexCache.fullMatch(regex.regex, value)
        case nil: return false
        }
    }

    /// `HeaderMatcher` over a request: `present_match`, or a string match on the value (a missing header matches
    /// nothing, unless `treat_missing_header_as_empty`); `invert_match` flips the result.
    static func matches(_ matcher: Envoy_Config_Route_V3_HeaderMatcher, _ request: SimulatedRequest) -> Bool {
        var value = request.header(matcher.name)
        if value == nil && matcher.treatMissingHeaderAsEmpty { value = "" }
        let result: Bool
        switch matcher.headerMatchSpecifier {
        case .presentMatch(let present): result = (value != nil) == present
        case .stringMatch(let string): result = value.map { matches(string, $0) } ?? false
        case nil: result = value != nil
        }
        // A missing header never matches, even inverted (Envoy checks presence before inverting).
        if value == nil, case .stringMatch = matcher.headerMatchSpecifier { return false }
        return matcher.invertMatch ? !result : result
    }

    /// `PathMatcher`: the path without query and fragment.
    static func matches(_ matcher: Envoy_Type_Matcher_V3_PathMatcher, _ request: SimulatedRequest) -> Bool {
        guard case .path(let string) = matcher.rule else { return false }
        return matches(string, request.pathOnly)
    }

    /// `ValueMatcher` over a metadata value (nil when the path leads nowhere).
    static func matches(_ matcher: Envoy_Type_Matcher_V3_ValueMatcher, _ value: MetadataValue?) -> Bool {
        switch matcher.matchPattern {
        case .nullMatch: return value == nil || value == .null
        case .presentMatch(let present): return (value != nil) == present
        case .stringMatch(let string):
            guard case .string(let text)? = value else { return false }
            return matches(string, text)
        case .boolMatch(let expected):
            guard case .bool(let actual)? = value else { return false }
            return actual == expected
        case .doubleMatch(let double):
            guard case .number(let number)? = value else { return false }
            switch double.matchPattern {
            case .exact(let exact): return number == exact
            case .range(let range): return number >= range.start && number < range.end
            case nil: return false
            }
        case .listMatch(let list):
            guard case .list(let items)? = value, case .oneOf(let inner)? = list.matchPattern else { return false }
            return items.contains { matches(inner, $0) }
        case .orMatch(let or):
            return or.valueMatchers.contains { matches($0, value) }
        case nil: return false
        }
    }

    /// `MetadataMatcher` over the dynamic metadata written so far (by filter name).
    static func matches(_ matcher: Envoy_Type_Matcher_V3_MetadataMatcher, _ metadata: [String: MetadataValue]) -> Bool {
        let path = matcher.path.compactMap { segment -> String? in
            if case .key(let key)? = segment.segment { return key }
            return nil
        }
        let value = metadata[matcher.filter]?.value(at: path)
        let result = matcher.hasValue && matches(matcher.value, value)
        return matcher.invert ? !result : result
    }

    /// `CidrRange` over an address (IPv4 or IPv6); an unparsable address or prefix matches nothing.
    static func matches(_ range: Envoy_Config_Core_V3_CidrRange, _ address: String?) -> Bool {
        guard let address, let candidate = IPAddress(address), let prefix = IPAddress(range.addressPrefix),
            candidate.bytes.count == prefix.bytes.count
        else { return false }
        let length = range.hasPrefixLen ? Int(range.prefixLen.value) : prefix.bytes.count * 8
        return candidate.hasPrefix(prefix, length: length)
    }
}

/// An IPv4 or IPv6 address as bytes.
struct IPAddress: Hashable {
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    func hasPrefix(_ prefix: IPAddress, length: Int) -> Bool {
        var remaining = max(0, min(length, bytes.count * 8))
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if bytes[index] & mask != prefix.bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }
}

/// RE2 full matches through Swift Regex. RE2 and Swift Regex agree on the patterns the translator writes
/// (literals, classes, `.`, `*`, `+`, escapes); a pattern Swift cannot compile matches nothing.
enum RegexCache {
    static func fullMatch(_ pattern: String, _ value: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: value)) != nil
    }
}
