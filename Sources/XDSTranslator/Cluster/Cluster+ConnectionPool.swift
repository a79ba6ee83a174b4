import EnvoyAPI
import MeshModel
import SwiftProtobuf

extension Envoy_Config_Cluster_V3_Cluster {
    /// istiod's circuit breaker defaults: every limit at the uint32 maximum (Envoy's own defaults, e.g. 1024
    /// connections and 3 retries, are too small during pod churn), with remaining capacity tracked.
    static var defaultThresholds: Envoy_Config_Cluster_V3_CircuitBreakers.Thresholds {
        var thresholds = Envoy_Config_Cluster_V3_CircuitBreakers.Thresholds()
        thresholds.maxConnections = Google_Protobuf_UInt32Value(UInt32.max)
        thresholds.maxPendingRequests = Google_Protobuf_UInt32Value(UInt32.max)
        thresholds.maxRequests = Google_Protobuf_UInt32Value(UInt32.max)
        thresholds.maxRetries = Google_Protobuf_UInt32Value(UInt32.max)
        thresholds.trackRemaining = true
        return thresholds
    }

    /// `connectionPool` as istiod applies it (also with no pool at all, which gives the defaults): circuit
    /// breaker thresholds, `connect_timeout`, TCP keepalive, and the HTTP options in `options`.
    /// A value of 0 counts as unset, as in istiod (protobuf cannot tell them apart).
    mutating func applyConnectionPool(_ pool: ConnectionPoolSettings?, options: inout UpstreamHTTPOptions) {
        var thresholds = Self.defaultThresholds
        var idleTimeout: Duration?
        if let http = pool?.http {
            if let value = http.http2MaxRequests, value > 0 { thresholds.maxRequests = ProtoValues.uint32(value) }
            if let value = http.http1MaxPendingRequests, value > 0 {
                thresholds.maxPendingRequests = ProtoValues.uint32(value)
            }
            if let value = http.maxRetries, value > 0 { thresholds.maxRetries = ProtoValues.uint32(value) }
            idleTimeout = http.idleTimeout
            if let value = http.maxRequestsPerConnection, value > 0 {
                options.common.maxRequestsPerConnection = ProtoValues.uint32(value)
            }
            if let value = http.maxConcurrentStreams, value > 0 {
                options.maxConcurrentStreams = UInt32(clamping: value)
            }
            if http.useClientProtocol { options.useDownstreamProtocol = true }
        }
        connectTimeout = ProtoValues.connectTimeout
        if let tcp = pool?.tcp {
            if let timeout = tcp.connectTimeout { connectTimeout = ProtoValues.duration(timeout) }
            if let value = tcp.maxConnections, value > 0 { thresholds.maxConnections = ProtoValues.uint32(value) }
            if let duration = tcp.maxConnectionDuration {
                options.common.maxConnectionDuration = ProtoValues.duration(duration)
            }
            if idleTimeout == nil { idleTimeout = tcp.idleTimeout }
            if let keepalive = tcp.tcpKeepalive { applyKeepalive(keepalive) }
        }
        if let idleTimeout { options.common.idleTimeout = ProtoValues.duration(idleTimeout) }
        var breakers = Envoy_Config_Cluster_V3_CircuitBreakers()
        breakers.thresholds = [thresholds]
        circuitBreakers = breakers
    }

    /// `tcpKeepalive`: Envoy counts whole seconds.
    private mutating func applyKeepalive(_ keepalive: ConnectionPoolSettings.TCPKeepalive) {
        var socket = Envoy_Config_Core_V3_TcpKeepalive()
        if let probes = keepalive.probes, probes > 0 { socket.keepaliveProbes = ProtoValues.uint32(probes) }
        if let time = keepalive.time { socket.keepaliveTime = ProtoValues.uint32(Int(time.components.seconds)) }
        if let interval = keepalive.interval {
            socket.keepaliveInterval = ProtoValues.uint32(Int(interval.components.seconds))
        }
        var connection = Envoy_Config_Cluster_V3_UpstreamConnectionOptions()
        connection.tcpKeepalive = socket
        upstreamConnectionOptions = connection
    }

    /// `outlierDetection` as istiod maps it: each consecutive-error rule is enforced at 100% when its count is
    /// above 0 (an explicit 0 turns it off), success-rate ejection is off, and `minHealthPercent` becomes the
    /// healthy panic threshold (0, the default, disables panic mode).
    mutating func applyOutlierDetection(_ outlier: OutlierDetection?) {
        guard let outlier else { return }
        var detection = Envoy_Config_Cluster_V3_OutlierDetection()
        detection.enforcingSuccessRate = Google_Protobuf_UInt32Value(0)
        if let count = outlier.consecutive5xxErrors {
            detection.consecutive5Xx = ProtoValues.uint32(count)
            detection.enforcingConsecutive5Xx = Google_Protobuf_UInt32Value(count > 0 ? 100 : 0)
        }
        if let count = outlier.consecutiveGatewayErrors {
            detection.consecutiveGatewayFailure = ProtoValues.uint32(count)
            detection.enforcingConsecutiveGatewayFailure = Google_Protobuf_UInt32Value(count > 0 ? 100 : 0)
        }
        if let interval = outlier.interval { detection.interval = ProtoValues.duration(interval) }
        if let base = outlier.baseEjectionTime { detection.baseEjectionTime = ProtoValues.duration(base) }
        if let percent = outlier.maxEjectionPercent, percent > 0 {
            detection.maxEjectionPercent = ProtoValues.uint32(percent)
        }
        if outlier.splitExternalLocalOriginErrors {
            detection.splitExternalLocalOriginErrors = true
            if let count = outlier.consecutiveLocalOriginFailures, count > 0 {
                detection.consecutiveLocalOriginFailure = ProtoValues.uint32(count)
                detection.enforcingConsecutiveLocalOriginFailure = Google_Protobuf_UInt32Value(100)
            }
            detection.enforcingLocalOriginSuccessRate = Google_Protobuf_UInt32Value(0)
        }
        outlierDetection = detection
        var threshold = Envoy_Type_V3_Percent()
        threshold.value = Double(max(0, outlier.minHealthPercent))
        commonLbConfig.healthyPanicThreshold = threshold
    }
}
