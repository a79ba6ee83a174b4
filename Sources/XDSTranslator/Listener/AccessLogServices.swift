import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// An access log sent over gRPC to a collector of the registry, as istiod builds it for the `envoyHttpAls`,
/// `envoyTcpAls` and `envoyOtelAls` providers: Envoy's own gRPC client towards the collector's outbound cluster (whose
/// port must speak HTTP/2, such as a `grpc` port), with the service's hostname as authority.
struct AccessLogService {
    let logger: Envoy_Config_Accesslog_V3_AccessLog

    static let httpLoggerName = "envoy.access_loggers.http_grpc"
    /// istiod's name for the TCP logger (Envoy reads the typed config's type, not the name).
    static let tcpLoggerName = "envoy.tcp_grpc_access_log"
    static let openTelemetryLoggerName = "envoy.access_loggers.open_telemetry"
    static let httpLogName = "http_envoy_accesslog"
    static let tcpLogName = "tcp_envoy_accesslog"
    static let openTelemetryLogName = "otel_envoy_accesslog"
    /// The filter state istiod logs by default: the peers its metadata exchange records. Upstream Envoy sets none of
    /// them, so they are simply absent from entries unless an EnvoyFilter adds a filter that does.
    static let defaultFilterStateObjects = ["upstream_peer", "downstream_peer"]

    /// Nil for a provider of another kind, or one whose service or port the registry lacks.
    init?(_ kind: ExtensionProvider.Kind, snapshot: MeshSnapshot) {
        guard let target = kind.telemetryTarget,
            let resolved = ResolvedTracer.resolve(service: target.service, port: target.port, in: snapshot)
        else { return nil }
        var logger = Envoy_Config_Accesslog_V3_AccessLog()
        switch kind {
        case .envoyHTTPALS(let als):
            var config = Envoy_Extensions_AccessLoggers_Grpc_V3_HttpGrpcAccessLogConfig()
            config.commonConfig = Self.common(als, defaultName: Self.httpLogName, resolved: resolved)
            config.additionalRequestHeadersToLog = als.additionalRequestHeadersToLog
            config.additionalResponseHeadersToLog = als.additionalResponseHeadersToLog
            config.additionalResponseTrailersToLog = als.additionalResponseTrailersToLog
            logger.name = Self.httpLoggerName
            logger.typedConfig = packAny(config)
        case .envoyTCPALS(let als):
            var config = Envoy_Extensions_AccessLoggers_Grpc_V3_TcpGrpcAccessLogConfig()
            config.commonConfig = Self.common(als, defaultName: Self.tcpLogName, resolved: resolved)
            logger.name = Self.tcpLoggerName
            logger.typedConfig = packAny(config)
        case .envoyOtelALS(let otel):
            logger.name = Self.openTelemetryLoggerName
            logger.typedConfig = packAny(Self.openTelemetry(otel, resolved: resolved))
        default:
            return nil
        }
        self.logger = logger
    }

    static func common(
        _ als: GRPCAccessLogProvider, defaultName: String, resolved: ResolvedTracer
    ) -> Envoy_Extensions_AccessLoggers_Grpc_V3_CommonGrpcAccessLogConfig {
        var common = common(logName: als.logName ?? defaultName, resolved: resolved)
        if !als.filterStateObjectsToLog.isEmpty { common.filterStateObjectsToLog = als.filterStateObjectsToLog }
        return common
    }

    static func common(
        logName: String, resolved: ResolvedTracer
    ) -> Envoy_Extensions_AccessLoggers_Grpc_V3_CommonGrpcAccessLogConfig {
        var common = Envoy_Extensions_AccessLoggers_Grpc_V3_CommonGrpcAccessLogConfig()
        common.logName = logName
        common.grpcService = resolved.grpcService
        common.transportApiVersion = .v3
        common.filterStateObjectsToLog = defaultFilterStateObjects
        return common
    }

    /// One OTLP log record per request: the body is the text format (Istio's default when unset), the attributes
    /// the labels (sorted by key); Envoy's built-in labels are off, as istiod sets them.
    static func openTelemetry(
        _ otel: OpenTelemetryAccessLogProvider, resolved: ResolvedTracer
    ) -> Envoy_Extensions_AccessLoggers_OpenTelemetry_V3_OpenTelemetryAccessLogConfig {
        var config = Envoy_Extensions_AccessLoggers_OpenTelemetry_V3_OpenTelemetryAccessLogConfig()
        config.commonConfig = common(logName: otel.logName ?? openTelemetryLogName, resolved: resolved)
        config.disableBuiltinLabels = true
        var body = Opentelemetry_Proto_Common_V1_AnyValue()
        body.stringValue = otel.text ?? AccessLogPlan.defaultTextFormat
        config.body = body
        if !otel.labels.isEmpty {
            var attributes = Opentelemetry_Proto_Common_V1_KeyValueList()
            attributes.values = otel.labels.keys.sorted().map { key in
                var value = Opentelemetry_Proto_Common_V1_AnyValue()
                value.stringValue = otel.labels[key] ?? ""
                var pair = Opentelemetry_Proto_Common_V1_KeyValue()
                pair.key = key
                pair.value = value
                return pair
            }
            config.attributes = attributes
        }
        return config
    }
}
