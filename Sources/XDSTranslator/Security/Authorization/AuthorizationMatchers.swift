import EnvoyAPI

typealias RBACPermission = Envoy_Config_Rbac_V3_Permission
typealias RBACPrincipal = Envoy_Config_Rbac_V3_Principal
typealias RBACPolicy = Envoy_Config_Rbac_V3_Policy
typealias RBACRules = Envoy_Config_Rbac_V3_RBAC
typealias EnvoyStringMatcher = Envoy_Type_Matcher_V3_StringMatcher
typealias EnvoyValueMatcher = Envoy_Type_Matcher_V3_ValueMatcher

/// The string, header, path and metadata matchers AuthorizationPolicy values become, with Istio's wildcard rules:
/// `*` alone matches any non-empty value, a leading `*` is a suffix match, a trailing `*` a prefix match.
enum AuthorizationMatchers {
    /// Where request authentication publishes the verified JWT payload: jwt_authn's dynamic metadata, under
    /// `payload` (every provider uses the same key, so `request.auth.*` reads one place).
    static let jwtFilter = "envoy.filters.http.jwt_authn"
    static let jwtPayloadKey = "payload"

    /// istiod's `StringMatcherWithPrefix`: `prefix` (e.g. `spiffe://`) goes before the value, except for `*`.
    static func string(_ value: String, prefix: String = "") -> EnvoyStringMatcher {
        var matcher = EnvoyStringMatcher()
        if value == "*" {
            matcher.safeRegex = regex(".+")
        } else if value.hasPrefix("*") {
            let rest = String(value.dropFirst())
            if prefix.isEmpty {
                matcher.suffix = rest
            } else {
                matcher.safeRegex = regex(quoted(prefix) + ".*" + quoted(rest))
            }
        } else if value.hasSuffix("*") {
            matcher.prefix = prefix + String(value.dropLast())
        } else {
            matcher.exact = prefix + value
        }
        return matcher
    }

    static func exact(_ value: String) -> EnvoyStringMatcher {
        var matcher = EnvoyStringMatcher()
        matcher.exact = value
        return matcher
    }

    static func regexMatcher(_ pattern: String) -> EnvoyStringMatcher {
        var matcher = EnvoyStringMatcher()
        matcher.safeRegex = regex(pattern)
        return matcher
    }

    static func regex(_ pattern: String) -> Envoy_Type_Matcher_V3_RegexMatcher {
        var regex = Envoy_Type_Matcher_V3_RegexMatcher()
        regex.regex = pattern
        return regex
    }

    /// `value` with RE2's special characters escaped.
    static func quoted(_ value: String) -> String {
        var out = ""
        for character in value {
            if "\\.+*?()|[]{}^$".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// istiod's `HeaderMatcher`: `*` means the header is present.
    static func header(_ name: String, _ value: String) -> Envoy_Config_Route_V3_HeaderMatcher {
        var matcher = Envoy_Config_Route_V3_HeaderMatcher()
        matcher.name = name
        if value == "*" { matcher.presentMatch = true } else { matcher.stringMatch = string(value) }
        return matcher
    }

    /// istiod's `HostMatcher` on `:authority`: case-insensitive; `*.x` a suffix, `x.*` a prefix, `*` presence.
    /// Like istiod it compares the whole header, port included (`hosts: ["a.com"]` does not match `a.com:8080`).
    static func host(_ value: String) -> Envoy_Config_Route_V3_HeaderMatcher {
        var matcher = Envoy_Config_Route_V3_HeaderMatcher()
        matcher.name = ":authority"
        if value == "*" {
            matcher.presentMatch = true
            return matcher
        }
        var string = EnvoyStringMatcher()
        if value.hasPrefix("*") {
            string.suffix = String(value.dropFirst())
        } else if value.hasSuffix("*") {
            string.prefix = String(value.dropLast())
        } else {
            string.exact = value
        }
        string.ignoreCase = true
        matcher.stringMatch = string
        return matcher
    }

    /// True for Istio path templates: a `{*}` or `{**}` segment.
    static func isPathTemplate(_ path: String) -> Bool {
        path.contains("{*}") || path.contains("{**}")
    }

    /// A path template as the RE2 regex Envoy's URI template matcher compiles it to: `{*}` one segment of path
    /// characters, `{**}` any run of them including `/`, the rest literal. Regex rather than RBAC's `uri_template`
    /// permission, because the Envoy 1.40 build meshd runs on aborts on that extension (`std::terminate` at load).
    static func pathTemplateRegex(_ template: String) -> String {
        let pathCharacters = "a-zA-Z0-9\\-._~%!$&'()+,;:@="
        var regex = ""
        var rest = Substring(template)
        while !rest.isEmpty {
            if rest.hasPrefix("{**}") {
                regex += "[\(pathCharacters)/]*"
                rest = rest.dropFirst(4)
            } else if rest.hasPrefix("{*}") {
                regex += "[\(pathCharacters)]+"
                rest = rest.dropFirst(3)
            } else {
                let next = rest.dropFirst().firstIndex(of: "{") ?? rest.endIndex
                regex += quoted(String(rest[..<next]))
                rest = rest[next...]
            }
        }
        return regex
    }

    /// A metadata matcher over dynamic metadata `filter` at `path`.
    static func metadata(
        filter: String, path: [String], value: EnvoyValueMatcher
    ) -> Envoy_Config_Rbac_V3_SourcedMetadata {
        var matcher = Envoy_Type_Matcher_V3_MetadataMatcher()
        matcher.filter = filter
        matcher.path = path.map { key in
            var segment = Envoy_Type_Matcher_V3_MetadataMatcher.PathSegment()
            segment.key = key
            return segment
        }
        matcher.value = value
        var sourced = Envoy_Config_Rbac_V3_SourcedMetadata()
        sourced.metadataMatcher = matcher
        sourced.metadataSource = .dynamic
        return sourced
    }

    static func stringValue(_ matcher: EnvoyStringMatcher) -> EnvoyValueMatcher {
        var value = EnvoyValueMatcher()
        value.stringMatch = matcher
        return value
    }

    /// Matches a JWT claim that is the string `matcher` matches, or a list holding such a string.
    static func claimValue(_ matcher: EnvoyStringMatcher) -> EnvoyValueMatcher {
        var list = Envoy_Type_Matcher_V3_ListMatcher()
        list.oneOf = stringValue(matcher)
        var listValue = EnvoyValueMatcher()
        listValue.listMatch = list
        var or = Envoy_Type_Matcher_V3_OrMatcher()
        or.valueMatchers = [stringValue(matcher), listValue]
        var value = EnvoyValueMatcher()
        value.orMatch = or
        return value
    }

    /// `claimValue`, and also a string whose space-separated words include one `value` matches (Istio splits the
    /// `scope` and `permission` claims, and those a RequestAuthentication lists in `spaceDelimitedClaims`).
    static func spaceDelimitedClaimValue(_ value: String, _ matcher: EnvoyStringMatcher) -> EnvoyValueMatcher {
        let word: String
        if value == "*" {
            word = "[^ ]+"
        } else if value.hasPrefix("*") {
            word = "[^ ]*" + quoted(String(value.dropFirst()))
        } else if value.hasSuffix("*") {
            word = quoted(String(value.dropLast())) + "[^ ]*"
        } else {
            word = quoted(value)
        }
        var words = EnvoyValueMatcher()
        words.stringMatch = regexMatcher("(.* )?\(word)( .*)?")
        var value = claimValue(matcher)
        value.orMatch.valueMatchers.append(words)
        return value
    }

    /// A principal matching the claim at `path` (below the payload) of the verified JWT.
    static func jwtClaim(_ path: [String], _ value: EnvoyValueMatcher) -> RBACPrincipal {
        var principal = RBACPrincipal()
        principal.sourcedMetadata = metadata(filter: jwtFilter, path: [jwtPayloadKey] + path, value: value)
        return principal
    }
}
