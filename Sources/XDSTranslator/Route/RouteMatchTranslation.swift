import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// Istio `HTTPMatchRequest` -> Envoy `RouteMatch`, as istiod's TranslateRouteMatch does it.
enum RouteMatchTranslation {
    /// uri exact -> `path`, prefix -> `prefix`, regex -> `safe_regex`; no uri (or no block) -> prefix "/".
    /// Headers and withoutHeaders (inverted) are sorted by name, then `:method`, `:authority` and `:scheme` follow;
    /// `case_sensitive` is set on every block (false with `ignoreUriCase`).
    static func match(_ block: HTTPMatchRequest?) -> Envoy_Config_Route_V3_RouteMatch {
        var match = Envoy_Config_Route_V3_RouteMatch()
        match.prefix = "/"
        guard let block else { return match }
        switch block.uri {
        case .exact(let path): match.path = path
        case .prefix(let prefix): match.prefix = prefix
        case .regex(let pattern): match.safeRegex = regex(pattern)
        case .any, nil: break
        }
        var headers = block.headers.map { headerMatcher($0.key, $0.value) }
        headers += block.withoutHeaders.map { name, value in
            var header = headerMatcher(name, value)
            header.invertMatch = true
            // Envoy refuses treat_missing_header_as_empty together with present_match.
            if !isPresence(value) { header.treatMissingHeaderAsEmpty = true }
            return header
        }
        headers.sort { ($0.name, $0.invertMatch ? 1 : 0) < ($1.name, $1.invertMatch ? 1 : 0) }
        if let method = block.method { headers.append(headerMatcher(":method", method)) }
        if let authority = block.authority { headers.append(headerMatcher(":authority", authority)) }
        if let scheme = block.scheme { headers.append(headerMatcher(":scheme", scheme)) }
        match.headers = headers
        match.caseSensitive = Google_Protobuf_BoolValue(!block.ignoreUriCase)
        match.queryParameters = block.queryParams.sorted { $0.key < $1.key }.map { name, value in
            var parameter = Envoy_Config_Route_V3_QueryParameterMatcher()
            parameter.name = name
            if isPresence(value) {
                parameter.presentMatch = true
            } else {
                parameter.stringMatch = stringMatcher(value)
            }
            return parameter
        }
        return match
    }

    /// `{}` and `regex: "*"` mean "present" (`*` is not RE2; istiod turns it into a presence match).
    static func isPresence(_ value: StringMatch) -> Bool {
        switch value {
        case .any: true
        case .regex(let pattern): pattern == "*"
        case .exact, .prefix: false
        }
    }

    static func headerMatcher(_ name: String, _ value: StringMatch) -> Envoy_Config_Route_V3_HeaderMatcher {
        var header = Envoy_Config_Route_V3_HeaderMatcher()
        header.name = name
        if isPresence(value) {
            header.presentMatch = true
        } else {
            header.stringMatch = stringMatcher(value)
        }
        return header
    }

    static func stringMatcher(_ value: StringMatch) -> Envoy_Type_Matcher_V3_StringMatcher {
        var matcher = Envoy_Type_Matcher_V3_StringMatcher()
        switch value {
        case .exact(let text): matcher.exact = text
        case .prefix(let text): matcher.prefix = text
        case .regex(let pattern): matcher.safeRegex = regex(pattern)
        case .any: matcher.prefix = ""
        }
        return matcher
    }

    /// An RE2 regex; Envoy uses RE2 when no engine is named.
    static func regex(_ pattern: String) -> Envoy_Type_Matcher_V3_RegexMatcher {
        var matcher = Envoy_Type_Matcher_V3_RegexMatcher()
        matcher.regex = pattern
        return matcher
    }

    /// istiod's IsCatchAllRoute: prefix "/" (or regex `.*`) with no header or query condition. Routes after it in
    /// one VirtualService can never match, so istiod stops there.
    static func isCatchAll(_ match: Envoy_Config_Route_V3_RouteMatch) -> Bool {
        let pathMatchesAll: Bool
        switch match.pathSpecifier {
        case .prefix(let prefix): pathMatchesAll = prefix == "/"
        case .pathSeparatedPrefix(let prefix): pathMatchesAll = prefix == "/"
        case .safeRegex(let regex): pathMatchesAll = regex.regex == ".*"
        default: pathMatchesAll = false
        }
        return pathMatchesAll && match.headers.isEmpty && match.queryParameters.isEmpty
    }
}
