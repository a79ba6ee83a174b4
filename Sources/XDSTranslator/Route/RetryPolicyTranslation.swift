import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// Istio `retries` -> Envoy `RetryPolicy`, as istiod's retry.ConvertPolicy does it.
enum RetryPolicyTranslation {
    static let previousHostsName = "envoy.retry_host_predicates.previous_hosts"
    static let previousPrioritiesName = "envoy.retry_priorities.previous_priorities"
    /// Istio's default `retry_on`.
    static let defaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"

    /// No `retries`: Istio's default (2 retries on connection failures, refused streams, gRPC unavailable or
    /// cancelled, and 503; another host each time unless the route hashes consistently). `attempts: 0` (or less):
    /// nil, no retries. Otherwise the default with the written fields replacing it.
    static func policy(_ retry: HTTPRetry?, consistentHash: Bool = false) -> Envoy_Config_Route_V3_RetryPolicy? {
        var policy = Envoy_Config_Route_V3_RetryPolicy()
        policy.numRetries = Google_Protobuf_UInt32Value(2)
        policy.retryOn = defaultRetryOn
        policy.hostSelectionRetryMaxAttempts = 5
        policy.retriableStatusCodes = [503]
        if !consistentHash { policy.retryHostPredicate = [previousHosts] }
        guard let retry else { return policy }
        guard retry.attempts > 0 else { return nil }
        policy.numRetries = Google_Protobuf_UInt32Value(UInt32(clamping: retry.attempts))
        if let retryOn = retry.retryOn, !retryOn.isEmpty {
            let (conditions, codes) = parse(retryOn)
            policy.retryOn = conditions
            policy.retriableStatusCodes = codes
            if !codes.isEmpty && !conditions.contains("retriable-status-codes") {
                policy.retryOn += ",retriable-status-codes"
            }
        }
        if let timeout = retry.perTryTimeout { policy.perTryTimeout = ProtoDuration.of(timeout) }
        if let ignorePrevious = retry.retryIgnorePreviousHosts {
            policy.retryHostPredicate = ignorePrevious ? [previousHosts] : []
        }
        if retry.retryRemoteLocalities == true {
            var priority = Envoy_Config_Route_V3_RetryPolicy.RetryPriority()
            priority.name = previousPrioritiesName
            var config = Envoy_Extensions_Retry_Priority_PreviousPriorities_V3_PreviousPrioritiesConfig()
            config.updateFrequency = 2
            priority.typedConfig = packAny(config)
            policy.retryPriority = priority
        }
        if let backoff = retry.backoff {
            var backOff = Envoy_Config_Route_V3_RetryPolicy.RetryBackOff()
            backOff.baseInterval = ProtoDuration.of(backoff)
            policy.retryBackOff = backOff
        }
        return policy
    }

    /// Splits `retryOn` into Envoy conditions and HTTP status codes (numbers that are known status codes).
    static func parse(_ retryOn: String) -> (conditions: String, codes: [UInt32]) {
        var conditions: [String] = []
        var codes: [UInt32] = []
        for part in retryOn.split(separator: ",").map({
            String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        }) where !part.isEmpty {
            if let code = Int(part), (100...599).contains(code) {
                codes.append(UInt32(code))
            } else {
                conditions.append(part)
            }
        }
        return (conditions.joined(separator: ","), codes)
    }

    /// Retry on a host not tried yet.
    static var previousHosts: Envoy_Config_Route_V3_RetryPolicy.RetryHostPredicate {
        var predicate = Envoy_Config_Route_V3_RetryPolicy.RetryHostPredicate()
        predicate.name = previousHostsName
        predicate.typedConfig = packAny(Envoy_Extensions_Retry_Host_PreviousHosts_V3_PreviousHostsPredicate())
        return predicate
    }
}
