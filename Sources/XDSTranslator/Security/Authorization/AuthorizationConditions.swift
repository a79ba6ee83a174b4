import EnvoyAPI
import MeshModel

/// Why one value of a rule could not become an RBAC matcher (an HTTP-only attribute on a TCP chain, a bad CIDR,
/// port or key). istiod's rule: in an ALLOW policy the whole rule is dropped (it allows less); in DENY and AUDIT
/// only the value is dropped (the rule matches more). Either way the result fails closed.
struct ConditionFailure: Error, Sendable, Hashable {
    let key: String
    let value: String
    let reason: String

    var description: String { "\(key) value \"\(value)\": \(reason)" }
}

/// One matched attribute of a rule: a key (a `from`/`to` field or a `when` key) with its values and notValues.
struct RuleCondition: Sendable {
    enum Side: Sendable { case permission, principal }

    let key: String
    let values: [String]
    let notValues: [String]

    /// Which half of an RBAC policy the key belongs to; nil for a key meshd does not know.
    static func side(of key: String) -> Side? {
        switch key {
        case "to.hosts", "to.methods", "to.paths", "to.ports", "destination.ip", "destination.port", "connection.sni":
            return .permission
        case "from.principals", "from.requestPrincipals", "from.namespaces", "from.serviceAccounts", "from.ipBlocks",
            "from.remoteIpBlocks", "from.trustDomains", "source.ip", "remote.ip", "source.namespace",
            "source.principal",
            "source.trustDomain",
            "request.auth.principal", "request.auth.audiences", "request.auth.presenter":
            return .principal
        default:
            if key.hasPrefix("experimental.envoy.filters.") { return .permission }
            if key.hasPrefix("request.headers[") || key.hasPrefix("request.auth.claims[") { return .principal }
            return nil
        }
    }

    /// Keys that only exist for HTTP requests: on a TCP filter chain they cannot match.
    static func isHTTPOnly(_ key: String) -> Bool {
        switch key {
        case "to.hosts", "to.methods", "to.paths", "from.requestPrincipals", "request.auth.principal",
            "request.auth.audiences", "request.auth.presenter":
            true
        default:
            key.hasPrefix("request.headers[") || key.hasPrefix("request.auth.claims[")
        }
    }
}

/// Turns one value of one key into a permission or a principal, as istiod's generators do.
struct ConditionTranslator: Sendable {
    /// The policy's namespace: `serviceAccounts` without a namespace name one of it.
    let policyNamespace: String
    let forTCP: Bool
    /// Top-level claims whose string value is a space-separated list (`scope`, `permission`, and every
    /// RequestAuthentication's `spaceDelimitedClaims`): a value matches one of its words too.
    var spaceDelimitedClaims: Set<String> = JWTAuthenticationFilter.defaultSpaceDelimitedClaims

    func permission(_ key: String, _ value: String) -> Result<RBACPermission, ConditionFailure> {
        let fail = { (reason: String) in
            Result<RBACPermission, ConditionFailure>.failure(.init(key: key, value: value, reason: reason))
        }
        if forTCP && RuleCondition.isHTTPOnly(key) { return fail("HTTP only; this is a TCP filter chain") }
        var permission = RBACPermission()
        switch key {
        case "to.hosts":
            permission.header = AuthorizationMatchers.host(value)
        case "to.methods":
            permission.header = AuthorizationMatchers.header(":method", value)
        case "to.paths":
            var path = Envoy_Type_Matcher_V3_PathMatcher()
            path.path =
                AuthorizationMatchers.isPathTemplate(value)
                ? AuthorizationMatchers.regexMatcher(AuthorizationMatchers.pathTemplateRegex(value))
                : AuthorizationMatchers.string(value)
            permission.urlPath = path
        case "to.ports", "destination.port":
            guard let port = Int(value), (0...65535).contains(port) else { return fail("not a port in [0, 65535]") }
            permission.destinationPort = UInt32(port)
        case "destination.ip":
            guard let range = CIDR.range(value) else { return fail("not an IP address or CIDR range") }
            permission.destinationIp = range
        case "connection.sni":
            permission.requestedServerName = AuthorizationMatchers.string(value)
        default:
            guard key.hasPrefix("experimental.envoy.filters.") else { return fail("unknown attribute") }
            let body = key.dropFirst("experimental.".count)
            guard body.hasSuffix("]"), let open = body.firstIndex(of: "[") else {
                return fail("expected experimental.envoy.filters.<filter>[<key>]")
            }
            let filter = String(body[..<open])
            let path = String(body[body.index(after: open)..<body.index(before: body.endIndex)])
            guard !path.isEmpty else { return fail("empty metadata key") }
            let matcherValue: EnvoyValueMatcher
            if value.hasPrefix("[") && value.hasSuffix("]") && value.count >= 2 {
                var list = Envoy_Type_Matcher_V3_ListMatcher()
                list.oneOf = AuthorizationMatchers.stringValue(
                    AuthorizationMatchers.string(String(value.dropFirst().dropLast())))
                var listValue = EnvoyValueMatcher()
                listValue.listMatch = list
                matcherValue = listValue
            } else {
                matcherValue = AuthorizationMatchers.stringValue(AuthorizationMatchers.string(value))
            }
            permission.sourcedMetadata = AuthorizationMatchers.metadata(
                filter: filter, path: [path], value: matcherValue)
        }
        return .success(permission)
    }

    func principal(_ key: String, _ value: String) -> Result<RBACPrincipal, ConditionFailure> {
        let fail = { (reason: String) in
            Result<RBACPrincipal, ConditionFailure>.failure(.init(key: key, value: value, reason: reason))
        }
        if forTCP && RuleCondition.isHTTPOnly(key) { return fail("HTTP only; this is a TCP filter chain") }
        switch key {
        case "from.principals", "source.principal":
            return .success(.authenticated(AuthorizationMatchers.string(value, prefix: "spiffe://")))
        case "from.namespaces", "source.namespace":
            let pattern = value.split(separator: "*", omittingEmptySubsequences: false)
                .map { AuthorizationMatchers.quoted(String($0)) }.joined(separator: ".*")
            return .success(.authenticated(AuthorizationMatchers.regexMatcher(".*/ns/\(pattern)/.*")))
        case "from.serviceAccounts":
            let parts = value.split(separator: "/", maxSplits: 1).map(String.init)
            let (namespace, account) = parts.count == 2 ? (parts[0], parts[1]) : (policyNamespace, value)
            let pattern =
                "spiffe://.+/ns/\(AuthorizationMatchers.quoted(namespace))/(.+/|)sa/\(AuthorizationMatchers.quoted(account))(/.+)?"
            return .success(.authenticated(AuthorizationMatchers.regexMatcher(pattern)))
        case "from.trustDomains", "source.trustDomain":
            // The trust domain of the peer's verified identity: `spiffe://<trust domain>/...`.
            let pattern = value.split(separator: "*", omittingEmptySubsequences: false)
                .map { AuthorizationMatchers.quoted(String($0)) }.joined(separator: ".*")
            return .success(.authenticated(AuthorizationMatchers.regexMatcher("spiffe://\(pattern)/.*")))
        case "from.ipBlocks", "source.ip":
            guard let range = CIDR.range(value) else { return fail("not an IP address or CIDR range") }
            var principal = RBACPrincipal()
            principal.directRemoteIp = range
            return .success(principal)
        case "from.remoteIpBlocks", "remote.ip":
            guard let range = CIDR.range(value) else { return fail("not an IP address or CIDR range") }
            var principal = RBACPrincipal()
            principal.remoteIp = range
            return .success(principal)
        case "from.requestPrincipals", "request.auth.principal":
            return .success(Self.requestPrincipal(value))
        case "request.auth.audiences":
            return .success(
                AuthorizationMatchers.jwtClaim(
                    ["aud"], AuthorizationMatchers.claimValue(AuthorizationMatchers.string(value))))
        case "request.auth.presenter":
            return .success(
                AuthorizationMatchers.jwtClaim(
                    ["azp"], AuthorizationMatchers.claimValue(AuthorizationMatchers.string(value))))
        default:
            if key.hasPrefix("request.headers[") {
                guard let name = Self.bracketed(String(key.dropFirst("request.headers".count))), let only = name.first,
                    name.count == 1, !only.isEmpty
                else { return fail("expected request.headers[<name>]") }
                var principal = RBACPrincipal()
                principal.header = AuthorizationMatchers.header(only, value)
                return .success(principal)
            }
            if key.hasPrefix("request.auth.claims[") {
                guard let claims = Self.bracketed(String(key.dropFirst("request.auth.claims".count))),
                    !claims.contains(where: \.isEmpty)
                else { return fail("expected request.auth.claims[<name>] or nested [<a>][<b>]") }
                let matcher = AuthorizationMatchers.string(value)
                if claims.count == 1, let claim = claims.first, spaceDelimitedClaims.contains(claim) {
                    return .success(
                        AuthorizationMatchers.jwtClaim(
                            claims, AuthorizationMatchers.spaceDelimitedClaimValue(value, matcher)))
                }
                return .success(AuthorizationMatchers.jwtClaim(claims, AuthorizationMatchers.claimValue(matcher)))
            }
            return fail("unknown attribute")
        }
    }

    /// istiod's request principal: `<iss>/<sub>` split at the last `/` (the issuer may be a URL), both matched in
    /// the verified JWT payload; `*` means any authenticated request.
    static func requestPrincipal(_ value: String) -> RBACPrincipal {
        let any = AuthorizationMatchers.regexMatcher(".+")
        let slash = value.lastIndex(of: "/")
        let issuer = slash.map { String(value[..<$0]) } ?? value
        let subject = slash.map { String(value[value.index(after: $0)...]) } ?? ""
        var matchIssuer: EnvoyStringMatcher
        var matchSubject: EnvoyStringMatcher
        if value == "*" {
            (matchIssuer, matchSubject) = (any, any)
        } else if value.hasPrefix("*") {
            if slash != nil {
                if issuer == "*" {
                    matchIssuer = any
                } else {
                    matchIssuer = EnvoyStringMatcher()
                    matchIssuer.suffix = String(issuer.dropFirst())
                }
                matchSubject = AuthorizationMatchers.exact(subject)
            } else {
                matchIssuer = any
                matchSubject = EnvoyStringMatcher()
                matchSubject.suffix = String(value.dropFirst())
            }
        } else if value.hasSuffix("*") {
            if slash != nil {
                matchIssuer = AuthorizationMatchers.exact(issuer)
                if subject == "*" {
                    matchSubject = any
                } else {
                    matchSubject = EnvoyStringMatcher()
                    matchSubject.prefix = String(subject.dropLast())
                }
            } else {
                matchIssuer = EnvoyStringMatcher()
                matchIssuer.prefix = String(value.dropLast())
                matchSubject = any
            }
        } else {
            matchIssuer = AuthorizationMatchers.exact(issuer)
            matchSubject = AuthorizationMatchers.exact(subject)
        }
        return .and([
            AuthorizationMatchers.jwtClaim(["iss"], AuthorizationMatchers.stringValue(matchIssuer)),
            AuthorizationMatchers.jwtClaim(["sub"], AuthorizationMatchers.stringValue(matchSubject)),
        ])
    }

    /// `[a][b]` -> ["a", "b"]; nil unless the text is one or more bracketed names.
    static func bracketed(_ text: String) -> [String]? {
        var names: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
            names.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names.isEmpty ? nil : names
    }
}

/// Parses `10.0.0.0/8`, `10.1.2.3` and IPv6 forms into a CidrRange, refusing what Envoy would refuse.
enum CIDR {
    static func range(_ text: String) -> Envoy_Config_Core_V3_CidrRange? {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let address = parts.first else { return nil }
        let bits: Int
        if isIPv4(address) {
            bits = 32
        } else if isIPv6(address) {
            bits = 128
        } else {
            return nil
        }
        var length = bits
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...bits).contains(parsed) else { return nil }
            length = parsed
        }
        var range = Envoy_Config_Core_V3_CidrRange()
        range.addressPrefix = address
        range.prefixLen = ProtoValues.uint32(length)
        return range
    }

    static func isIPv4(_ text: String) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4
            && octets.allSatisfy { octet in
                !octet.isEmpty && octet.count <= 3 && octet.allSatisfy(\.isASCIIDigit) && (Int(octet) ?? 256) <= 255
            }
    }

    static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":"), text.count <= 45 else { return false }
        var body = Substring(text)
        if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
            guard isIPv4(String(text[text.index(after: lastColon)...])) else { return false }
            body = text[...lastColon]
        }
        let characters = Array(body)
        let doubleColons = characters.indices.dropLast().filter { characters[$0] == ":" && characters[$0 + 1] == ":" }
        guard doubleColons.count <= 1 else { return false }
        let groups = body.split(separator: ":", omittingEmptySubsequences: true)
        return groups.count <= 8
            && groups.allSatisfy { group in group.count <= 4 && group.allSatisfy(\.isHexDigit) }
            && !body.contains(":::")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
