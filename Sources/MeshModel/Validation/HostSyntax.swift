/// DNS name rules of istiod's validation.
enum HostSyntax {
    /// RFC 1123 label: letters, digits and '-', starting and ending alphanumeric, 1-63 characters.
    static func isDNS1123Label(_ label: String) -> Bool {
        guard (1...63).contains(label.count), let first = label.first, let last = label.last else { return false }
        guard first.isASCII && (first.isLetter || first.isNumber), last.isASCII && (last.isLetter || last.isNumber)
        else { return false }
        return label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    /// Why `host` is not a valid (possibly wildcard) domain, or nil. A wildcard may only start the first label.
    static func wildcardDomainProblem(_ host: String) -> String? {
        if host.count > 255 { return "domain name \"\(host)\" is too long (at most 255 characters)" }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for (index, label) in labels.enumerated() {
            let checked = index == 0 && label.hasPrefix("*") ? String(label.dropFirst()) : label
            if index == 0 && label == "*" { continue }
            if !isDNS1123Label(checked) {
                return "domain name \"\(host)\" is invalid (label \"\(label)\" is not a DNS-1123 label)"
            }
        }
        return nil
    }
}
