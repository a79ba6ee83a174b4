import Foundation

extension ResourceValidator {
    static func validateVirtualService(_ service: VirtualService, into issues: inout IssueList) {
        if service.hosts.isEmpty { issues.add("spec.hosts", "at least one host is required") }
        for (index, host) in service.hosts.enumerated() where host.isEmpty {
            issues.add("spec.hosts[\(index)]", "must not be empty")
        }
        for (index, route) in service.http.enumerated() {
            validateHTTPRoute(route, at: "spec.http[\(index)]", into: &issues)
        }
    }

    static func validateHTTPRoute(_ route: HTTPRoute, at path: String, into issues: inout IssueList) {
        for (index, match) in route.match.enumerated() {
            let matchPath = "\(path).match[\(index)]"
            if let uri = match.uri { validateStringMatch(uri, at: "\(matchPath).uri", into: &issues) }
            for (name, value) in match.headers.sorted(by: { $0.key < $1.key }) {
                if name.isEmpty { issues.add("\(matchPath).headers", "header name must not be empty") }
                validateStringMatch(value, at: "\(matchPath).headers.\(name)", into: &issues)
            }
        }
        if route.route.isEmpty { issues.add("\(path).route", "at least one destination is required") }
        var weightsInRange = true
        for (index, destination) in route.route.enumerated() {
            let destinationPath = "\(path).route[\(index)]"
            if destination.destination.host.isEmpty { issues.add("\(destinationPath).destination.host", "required") }
            if let port = destination.destination.port {
                issues.checkPort(port, at: "\(destinationPath).destination.port.number")
            }
            if !(0...100).contains(destination.weight) {
                issues.add("\(destinationPath).weight", "weight \(destination.weight) is out of range 0-100")
                weightsInRange = false
            }
        }
        // A lone destination without a weight was given 100 by the decoder, so any other total means weights were
        // written and do not add up. Out-of-range weights are already reported; one cause gives one error.
        let total = route.route.reduce(0) { $0 + $1.weight }
        if weightsInRange && !route.route.isEmpty && total != 100 {
            issues.add("\(path).route", "weights must add up to 100, found \(total)")
        }
    }

    static func validateStringMatch(_ match: StringMatch, at path: String, into issues: inout IssueList) {
        guard case .regex(let pattern) = match else { return }
        if let reason = RegexCheck.problem(in: pattern) { issues.add("\(path).regex", reason) }
    }
}

/// Checks that a pattern is a regular expression Envoy's RE2 would accept.
enum RegexCheck {
    /// Why `pattern` is not valid RE2, or nil when it is.
    static func problem(in pattern: String) -> String? {
        for construct in ["(?=", "(?!", "(?<=", "(?<!"] where pattern.contains(construct) {
            return "invalid regex \"\(pattern)\": lookaround \(construct) is not supported by RE2"
        }
        if pattern.contains("(?>") {
            return "invalid regex \"\(pattern)\": atomic group (?> is not supported by RE2"
        }
        if let quantifier = firstPossessiveQuantifier(in: pattern) {
            return "invalid regex \"\(pattern)\": possessive quantifier \(quantifier) is not supported by RE2"
        }
        if let backreference = firstBackreference(in: pattern) {
            return "invalid regex \"\(pattern)\": backreference \(backreference) is not supported by RE2"
        }
        do {
            _ = try NSRegularExpression(pattern: pattern)
        } catch {
            return "invalid regex \"\(pattern)\": does not compile"
        }
        return nil
    }

    /// The first unescaped `*+`, `++`, `?+` or `}+` outside a character class (ICU's possessive
    /// quantifiers, which RE2 rejects as a bad repetition).
    static func firstPossessiveQuantifier(in pattern: String) -> String? {
        var escaped = false
        var inClass = false
        var inBraces = false
        var lastQuantifier: Character?
        for character in pattern {
            if escaped {
                escaped = false
                lastQuantifier = nil
                continue
            }
            if inClass {
                if character == "]" { inClass = false }
                continue
            }
            switch character {
            case "\\":
                escaped = true
            case "[":
                inClass = true
                lastQuantifier = nil
            case "{":
                inBraces = true
                lastQuantifier = nil
            case "}" where inBraces:
                inBraces = false
                lastQuantifier = "}"
            case "+" where lastQuantifier != nil:
                return "\(lastQuantifier.map(String.init) ?? "")+"
            case "*", "+", "?":
                lastQuantifier = character
            default:
                if !inBraces { lastQuantifier = nil }
            }
        }
        return nil
    }

    /// The first unescaped `\1`...`\9` (a backreference), skipping escaped backslashes.
    static func firstBackreference(in pattern: String) -> String? {
        var escaped = false
        for character in pattern {
            if escaped {
                if ("1"..."9").contains(character) { return "\\\(character)" }
                escaped = false
            } else if character == "\\" {
                escaped = true
            }
        }
        return nil
    }
}
