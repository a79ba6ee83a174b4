import Foundation

/// istiod's validating-webhook rules for VirtualService (pkg/config/validation, virtualservice.go), rule for rule;
/// see the "validation-vs" table in Docs/traffic-management.md. HTTP route rules are in ResourceValidator+HTTPRoute.
extension ResourceValidator {
    static func validateVirtualService(_ service: VirtualService, into issues: inout IssueList) {
        let isDelegate = service.hosts.isEmpty
        if isDelegate {
            // A VirtualService without hosts can only be a delegate of a root VirtualService's http route.
            if !service.gateways.isEmpty {
                issues.add("spec.gateways", "delegate virtual service must have no gateways specified")
            }
            if !service.tls.isEmpty {
                issues.add("spec.tls", "delegate virtual service must have no tls route specified")
            }
            if !service.tcp.isEmpty {
                issues.add("spec.tcp", "delegate virtual service must have no tcp route specified")
            }
        }
        validateGatewayNames(service.gateways, at: "spec.gateways", into: &issues)
        let appliesToGateway = !service.gateways.isEmpty && !service.gateways.contains("mesh")
        let appliesToMesh = !appliesToGateway
        if appliesToMesh {
            for (index, http) in service.http.enumerated() {
                for (matchIndex, match) in http.match.enumerated() {
                    for name in Array(match.headers.keys) + Array(match.withoutHeaders.keys)
                    where HTTPHeaderSyntax.isJWTClaim(name) {
                        issues.add(
                            "spec.http[\(index)].match[\(matchIndex)]",
                            "JWT claim based routing (key: \(name)) is only supported for gateways")
                    }
                }
            }
        }
        var hostsValid = true
        for (index, host) in service.hosts.enumerated() {
            let path = "spec.hosts[\(index)]"
            if host.isEmpty {
                issues.add(path, "must not be empty")
                hostsValid = false
            } else if host == "*" {
                if appliesToMesh {
                    issues.add(path, "wildcard host * is not allowed for virtual services bound to the mesh gateway")
                    hostsValid = false
                }
            } else if let reason = HostSyntax.wildcardDomainProblem(host), !HTTPHeaderSyntax.isIPAddress(host) {
                issues.add(path, reason)
                hostsValid = false
            }
        }
        if hostsValid {
            for first in service.hosts.indices {
                for second in service.hosts.indices
                where second > first && HostSyntax.wildcardMatches(service.hosts[first], service.hosts[second]) {
                    issues.add(
                        "spec.hosts[\(second)]",
                        "duplicate hosts in virtual service: \(service.hosts[first]) & \(service.hosts[second])")
                }
            }
        }
        if service.http.isEmpty && service.tcp.isEmpty && service.tls.isEmpty {
            issues.add("spec", "http, tcp or tls must be provided in virtual service")
        }
        for (index, route) in service.http.enumerated() {
            validateHTTPRoute(route, at: "spec.http[\(index)]", inDelegate: isDelegate, into: &issues)
        }
        validateL4Routes(service, into: &issues)
        validateExportTo(service.exportTo, at: "spec.exportTo", into: &issues)
    }

    /// `gateways` entries: `mesh`, a name, `namespace/name`, or the legacy FQDN `name.namespace.svc.cluster.local`.
    static func validateGatewayNames(_ names: [String], at path: String, into issues: inout IssueList) {
        for (index, name) in names.enumerated() {
            let entry = "\(path)[\(index)]"
            let parts = name.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                if name.isEmpty
                    || name.split(separator: ".", omittingEmptySubsequences: false)
                        .enumerated().contains(where: { offset, label in
                            !(HostSyntax.isDNS1123Label(String(label)) || (label.isEmpty && offset > 0))
                        })
                {
                    issues.add(
                        entry, "invalid gateway name \"\(name)\": expected a DNS-1123 name or <namespace>/<name>")
                }
                continue
            }
            if parts[0].isEmpty || parts[1].isEmpty {
                issues.add(entry, "config namespace and gateway name cannot be empty")
                continue
            }
            if !HostSyntax.isDNS1123Label(parts[0]) {
                issues.add(entry, "invalid value for namespace: \"\(parts[0])\"")
            }
            if !HostSyntax.isDNS1123Label(parts[1]) {
                issues.add(entry, "invalid value for gateway name: \"\(parts[1])\"")
            }
        }
    }

    /// A StringMatch of `where` (`headers`, `method`, ...): a prefix must not be empty and a regex must be RE2.
    static func validateStringMatch(_ match: StringMatch, at path: String, into issues: inout IssueList) {
        switch match {
        case .prefix(let prefix) where prefix.isEmpty:
            issues.add("\(path).prefix", "prefix string match should not be empty")
        case .regex: validateStringMatchRegex(match, at: path, into: &issues)
        default: break
        }
    }

    /// Only the regex rule (a uri may use an empty prefix).
    static func validateStringMatchRegex(_ match: StringMatch, at path: String, into issues: inout IssueList) {
        guard case .regex(let pattern) = match else { return }
        if pattern.isEmpty {
            issues.add("\(path).regex", "regex string match should not be empty")
        } else if pattern.count > 1024 {
            issues.add("\(path).regex", "regex is too large, max length allowed is 1024")
        } else if let reason = RegexCheck.problem(in: pattern) {
            issues.add("\(path).regex", reason)
        }
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
