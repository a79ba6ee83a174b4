import EnvoyAPI
import MeshModel

/// Istio `HTTPMatchRequest` -> Envoy `RouteMatch`.
enum RouteMatchTranslation {
    /// uri exact -> `path`, prefix -> `prefix`, regex -> `safe_regex`; no uri (or no block) -> prefix "/".
    /// Headers become `HeaderMatcher`s, sorted by name so the output is stable. An empty header prefix
    /// means "present" (Envoy refuses an empty prefix), as Istio translates it.
    static func match(_ block: HTTPMatchRequest?) -> Envoy_Config_Route_V3_RouteMatch {
        var match = Envoy_Config_Route_V3_RouteMatch()
        switch block?.uri {
        case .exact(let path): match.path = path
        case .prefix(let prefix): match.prefix = prefix
        case .regex(let pattern): match.safeRegex = regex(pattern)
        case nil: match.prefix = "/"
        }
        match.headers = (block?.headers ?? [:]).sorted { $0.key < $1.key }.map { name, value in
            var header = Envoy_Config_Route_V3_HeaderMatcher()
            header.name = name
            if case .prefix("") = value {
                header.presentMatch = true
            } else {
                header.stringMatch = stringMatcher(value)
            }
            return header
        }
        return match
    }

    static func stringMatcher(_ value: StringMatch) -> Envoy_Type_Matcher_V3_StringMatcher {
        var matcher = Envoy_Type_Matcher_V3_StringMatcher()
        switch value {
        case .exact(let text): matcher.exact = text
        case .prefix(let text): matcher.prefix = text
        case .regex(let pattern): matcher.safeRegex = regex(pattern)
        }
        return matcher
    }

    /// An RE2 regex; Envoy uses RE2 when no engine is named.
    private static func regex(_ pattern: String) -> Envoy_Type_Matcher_V3_RegexMatcher {
        var matcher = Envoy_Type_Matcher_V3_RegexMatcher()
        matcher.regex = pattern
        return matcher
    }
}
