import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// Istio `corsPolicy` -> the per-route config of Envoy's CORS filter (`envoy.filters.http.cors`), as istiod's
/// TranslateCORSPolicy does it. The filter itself sits, empty, in every HTTP connection manager.
enum CORSTranslation {
    static let filterName = "envoy.filters.http.cors"

    static func policy(_ policy: CORSPolicy) -> Envoy_Extensions_Filters_Http_Cors_V3_CorsPolicy {
        var result = Envoy_Extensions_Filters_Http_Cors_V3_CorsPolicy()
        // IGNORE answers unmatched preflights itself; anything else forwards them (Envoy's behaviour before 1.30).
        result.forwardNotMatchingPreflights = Google_Protobuf_BoolValue(policy.unmatchedPreflights != .ignore)
        result.allowOriginStringMatch = policy.allowOrigins.map(RouteMatchTranslation.stringMatcher)
        var enabled = Envoy_Config_Core_V3_RuntimeFractionalPercent()
        enabled.defaultValue = FractionalPercentTranslation.hundredths(100)
        result.filterEnabled = enabled
        if let credentials = policy.allowCredentials {
            result.allowCredentials = Google_Protobuf_BoolValue(credentials)
        }
        result.allowHeaders = policy.allowHeaders.joined(separator: ",")
        result.allowMethods = policy.allowMethods.joined(separator: ",")
        result.exposeHeaders = policy.exposeHeaders.joined(separator: ",")
        if let maxAge = policy.maxAge { result.maxAge = String(maxAge.components.seconds) }
        return result
    }
}
