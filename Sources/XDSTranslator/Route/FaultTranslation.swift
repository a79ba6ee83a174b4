import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// Istio `fault` -> the per-route config of Envoy's fault filter (`envoy.filters.http.fault`), as istiod's
/// TranslateFault does it. The filter itself sits, empty, in every HTTP connection manager.
enum FaultTranslation {
    static let filterName = "envoy.filters.http.fault"

    /// nil when neither a fixed delay nor an abort with a status remains (istiod drops the fault then).
    static func fault(_ fault: HTTPFaultInjection) -> Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault? {
        var result = Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault()
        if let delay = fault.delay, let fixed = delay.fixedDelay {
            var envoyDelay = Envoy_Extensions_Filters_Common_Fault_V3_FaultDelay()
            envoyDelay.fixedDelay = ProtoDuration.of(fixed)
            // Without a percentage Istio injects into no request (its deprecated integer `percent`, 0).
            envoyDelay.percentage =
                delay.percentage.map(FractionalPercentTranslation.of) ?? FractionalPercentTranslation.hundredths(0)
            result.delay = envoyDelay
        }
        if let abort = fault.abort {
            var envoyAbort = Envoy_Extensions_Filters_Http_Fault_V3_FaultAbort()
            if let percentage = abort.percentage { envoyAbort.percentage = FractionalPercentTranslation.of(percentage) }
            switch abort.error {
            case .httpStatus(let status):
                envoyAbort.httpStatus = UInt32(clamping: status)
                result.abort = envoyAbort
            case .grpcStatus(let name):
                if let code = GRPCStatus.code(name) {
                    envoyAbort.grpcStatus = UInt32(clamping: code)
                    result.abort = envoyAbort
                }
            case .http2Error, nil: break
            }
        }
        return result.hasDelay || result.hasAbort ? result : nil
    }
}

/// Istio percentages -> Envoy `FractionalPercent`.
enum FractionalPercentTranslation {
    /// Istio's `Percent` (a double 0-100) as parts per million, truncated as istiod does.
    static func of(_ percent: Double) -> Envoy_Type_V3_FractionalPercent {
        var fraction = Envoy_Type_V3_FractionalPercent()
        fraction.numerator = UInt32(clamping: Int((percent * 10000).rounded(.towardZero)))
        fraction.denominator = .million
        return fraction
    }

    /// A whole percentage (denominator HUNDRED).
    static func hundredths(_ percent: Int) -> Envoy_Type_V3_FractionalPercent {
        var fraction = Envoy_Type_V3_FractionalPercent()
        fraction.numerator = UInt32(clamping: percent)
        fraction.denominator = .hundred
        return fraction
    }
}

/// Swift `Duration` -> protobuf `Duration`.
enum ProtoDuration {
    static func of(_ duration: Duration) -> Google_Protobuf_Duration {
        let (seconds, attoseconds) = duration.components
        return Google_Protobuf_Duration(seconds: seconds, nanos: Int32(attoseconds / 1_000_000_000))
    }
}
