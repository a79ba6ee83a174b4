import Foundation

extension ResourceValidator {
    /// istiod's ValidateRequestAuthentication and validateJwtRule, plus the CRD's rules on the same fields (non-empty
    /// strings, the claim-to-header name pattern). Null rules and bad timeouts are refused by the decoder.
    static func validateRequestAuthentication(_ policy: RequestAuthentication, into issues: inout IssueList) {
        validatePolicySelector(policy.selector, into: &issues)
        if policy.jwtRules.count > 4096 {
            issues.add("spec.jwtRules", "must have at most 4096 items, found \(policy.jwtRules.count)")
        }
        for (index, rule) in policy.jwtRules.enumerated() {
            validateJWTRule(rule, at: "spec.jwtRules[\(index)]", into: &issues)
        }
    }

    static func validateJWTRule(_ rule: JWTRule, at path: String, into issues: inout IssueList) {
        for (index, audience) in rule.audiences.enumerated() where audience.isEmpty {
            issues.add("\(path).audiences[\(index)]", "audience must be non-empty string")
        }
        let uri = rule.jwksURI ?? ""
        if rule.issuer.isEmpty && uri.isEmpty {
            issues.add("\(path).issuer", "issuer or jwksUri must be non-empty string")
        }
        if !uri.isEmpty, let problem = JWKSURI.problem(uri) {
            issues.add("\(path).jwksUri", problem)
        }
        if let jwks = rule.jwks, !jwks.isEmpty, let problem = JSONWebKeySet.problem(jwks) {
            issues.add("\(path).jwks", "jwks parse error: \(problem)")
        }
        for (index, header) in rule.fromHeaders.enumerated() where header.name.isEmpty {
            issues.add("\(path).fromHeaders[\(index)].name", "location header name must be non-empty string")
        }
        for (index, parameter) in rule.fromParams.enumerated() where parameter.isEmpty {
            issues.add("\(path).fromParams[\(index)]", "location query must be non-empty string")
        }
        for (index, cookie) in rule.fromCookies.enumerated() where cookie.isEmpty {
            issues.add("\(path).fromCookies[\(index)]", "cookie name must be non-empty string")
        }
        for (index, pair) in rule.outputClaimToHeaders.enumerated() {
            let item = "\(path).outputClaimToHeaders[\(index)]"
            if pair.claim.isEmpty || pair.header.isEmpty {
                issues.add(
                    pair.claim.isEmpty ? "\(item).claim" : "\(item).header",
                    "outputClaimToHeaders header and claim value must be non-empty string")
            } else if !isStrictHeaderName(pair.header) {
                issues.add("\(item).header", "header name \"\(pair.header)\" must match ^[-_A-Za-z0-9]+$")
            }
        }
        for (index, claim) in rule.spaceDelimitedClaims.enumerated() where claim.isEmpty {
            issues.add("\(path).spaceDelimitedClaims[\(index)]", "claim name must be non-empty string")
        }
    }

    /// istiod's ValidateStrictHTTPHeaderName.
    static func isStrictHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar == "-" || scalar == "_" || CharacterSet.alphanumerics.contains(scalar))
            }
    }
}

/// istiod's ParseJwksURI: a URL (as Go's `net/url` parses it) whose scheme is http or https, with a numeric port.
enum JWKSURI {
    static func problem(_ uri: String) -> String? {
        if uri.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "\"\(uri.debugDescription.dropFirst().dropLast())\" is not a URL: invalid control character in URL"
        }
        if let bad = badEscape(uri) { return "\"\(uri)\" is not a URL: invalid URL escape \"\(bad)\"" }
        let scheme: String
        if let colon = uri.firstIndex(of: ":"), let first = uri.first, first.isASCII, first.isLetter,
            uri[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        {
            scheme = uri[..<colon].lowercased()
        } else {
            scheme = ""
        }
        guard scheme == "http" || scheme == "https" else {
            return "URI scheme \"\(scheme)\" is not supported; url must have scheme http or https"
        }
        let afterScheme = uri.dropFirst(scheme.count + 1)
        guard afterScheme.hasPrefix("//") else { return nil }
        let authority = afterScheme.dropFirst(2).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                return "\"\(uri)\" is not a URL: missing ']' in host"
            }
            let rest = hostPort[hostPort.index(after: close)...]
            if !rest.isEmpty { return portProblem(rest, uri: uri) }
            return nil
        }
        if let colon = hostPort.firstIndex(of: ":") { return portProblem(hostPort[colon...], uri: uri) }
        return nil
    }

    /// `:<digits>` or `:` (Go accepts an empty port).
    private static func portProblem(_ text: Substring, uri: String) -> String? {
        guard text.first == ":" else { return "\"\(uri)\" is not a URL: invalid host" }
        let digits = text.dropFirst()
        if digits.allSatisfy(\.isASCIIDigit) { return nil }
        return "\"\(uri)\" is not a URL: invalid port \"\(text)\" after host"
    }

    /// The first `%` not followed by two hex digits.
    private static func badEscape(_ uri: String) -> String? {
        let scalars = Array(uri.unicodeScalars)
        for (index, scalar) in scalars.enumerated() where scalar == "%" {
            let hex = scalars.dropFirst(index + 1).prefix(2)
            if hex.count < 2 || !hex.allSatisfy({ $0.properties.isASCIIHexDigit }) {
                return "%" + String(String.UnicodeScalarView(hex))
            }
        }
        return nil
    }
}
