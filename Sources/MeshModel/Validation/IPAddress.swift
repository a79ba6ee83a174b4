/// Textual IP address checks, without touching the network.
///
/// Strict in the way Go's `net/netip.ParseAddr` (what istiod uses) and Envoy's `inet_pton` are: an IPv4 octet has
/// no leading zero, an IPv6 address has at most one `::`, exactly eight groups of one to four hex digits (or six
/// and an embedded IPv4 address), and no zone. Anything looser would pass meshd and then be NACKed by Envoy.
public enum IPAddress {
    public static func isValid(_ text: String) -> Bool { isIPv4(text) || isIPv6(text) }

    public static func isIPv4(_ text: some StringProtocol) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy(isOctet)
    }

    /// `0`-`255` in decimal, without a leading zero.
    private static func isOctet(_ part: some StringProtocol) -> Bool {
        guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit) else { return false }
        if part.count > 1 && part.first == "0" { return false }
        return (Int(part) ?? 256) <= 255
    }

    public static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":"), text.utf8.count <= 45 else { return false }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        // The groups written on each side of `::` (or all of them, without one).
        func groups(_ part: String) -> [Substring]? {
            part.isEmpty ? [] : part.split(separator: ":", omittingEmptySubsequences: false)
        }
        guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else { return false }
        var all = head + tail
        var width = 0
        // An embedded IPv4 address may only be the last group, and counts as two.
        if let last = all.last, last.contains(".") {
            guard isIPv4(last), halves.count == 1 || !tail.isEmpty else { return false }
            all.removeLast()
            width = 2
        }
        guard all.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isHexDigit) }) else { return false }
        width += all.count
        return halves.count == 2 ? width <= 7 : width == 8
    }

    /// An address, or `address/prefix` with a prefix length that fits its family (istiod's ValidateIPSubnet).
    public static func isValidSubnet(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let address = parts.first else { return false }
        if parts.count == 1 { return isValid(address) }
        guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy(\.isASCIIDigit), let length = Int(parts[1])
        else { return false }
        if isIPv4(address) { return length <= 32 }
        if isIPv6(address) { return length <= 128 }
        return false
    }
}
