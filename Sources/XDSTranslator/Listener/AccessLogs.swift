import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// The access logs a proxy's listeners carry, resolved from Telemetry `accessLogging` and the mesh config
/// (`accessLogFile`, `accessLogFormat`, `accessLogEncoding`, `defaultProviders.accessLogging` and the
/// `envoyFileAccessLog`, `envoyHttpAls`, `envoyTcpAls` and `envoyOtelAls` extension providers) as istiod resolves
/// them. Client-side loggers go on the outbound
/// listeners (and all of a gateway's), server-side ones on virtualInbound; each HttpConnectionManager and tcp_proxy
/// filter of a listener gets them.
struct AccessLogPlan: Sendable {
    var client: [Envoy_Config_Accesslog_V3_AccessLog] = []
    var server: [Envoy_Config_Accesslog_V3_AccessLog] = []
    /// The Telemetry objects that shaped the plan.
    var sources: [ResourceKey] = []

    var isEmpty: Bool { client.isEmpty && server.isEmpty }

    static let fileLoggerName = "envoy.access_loggers.file"
    static let celFilterName = "envoy.access_loggers.extension_filters.cel"

    /// Istio's default text format (`EnvoyTextLogFormat`).
    static let defaultTextFormat =
        "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% "
        + "%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "
        + "\"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "
        + "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" "
        + "\"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER_RAW% "
        + "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% "
        + "%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"

    /// Istio's default JSON fields (`EnvoyJSONLogFormatIstio`), by key.
    static let defaultJSONFields: [(String, String)] = [
        ("start_time", "%START_TIME%"), ("method", "%REQ(:METHOD)%"),
        ("path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"), ("protocol", "%PROTOCOL%"),
        ("response_code", "%RESPONSE_CODE%"), ("response_flags", "%RESPONSE_FLAGS%"),
        ("response_code_details", "%RESPONSE_CODE_DETAILS%"),
        ("connection_termination_details", "%CONNECTION_TERMINATION_DETAILS%"),
        ("upstream_transport_failure_reason", "%UPSTREAM_TRANSPORT_FAILURE_REASON%"),
        ("bytes_received", "%BYTES_RECEIVED%"), ("bytes_sent", "%BYTES_SENT%"), ("duration", "%DURATION%"),
        ("upstream_service_time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%"),
        ("x_forwarded_for", "%REQ(X-FORWARDED-FOR)%"), ("user_agent", "%REQ(USER-AGENT)%"),
        ("request_id", "%REQ(X-REQUEST-ID)%"), ("authority", "%REQ(:AUTHORITY)%"),
        ("upstream_host", "%UPSTREAM_HOST%"), ("upstream_cluster", "%UPSTREAM_CLUSTER_RAW%"),
        ("upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%"),
        ("downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%"),
        ("downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%"),
        ("requested_server_name", "%REQUESTED_SERVER_NAME%"), ("route_name", "%ROUTE_NAME%"),
    ]

    /// The plan for a proxy whose Telemetry levels (least specific first) are `levels`.
    static func of(levels: [Telemetry], snapshot: MeshSnapshot) -> AccessLogPlan {
        let withLogging = levels.filter { !$0.accessLogging.isEmpty }
        var plan = AccessLogPlan()
        plan.sources = withLogging.map(\.sourceKey)
        let mesh = snapshot.meshConfig
        for side in [TelemetryTrafficSide.client, .server] {
            var loggers: [Envoy_Config_Accesslog_V3_AccessLog] = []
            let enabled = AccessLogMerge.providers(
                levels: withLogging.map(\.accessLogging), defaults: defaultProviders(mesh), side: side)
            for (name, filter) in enabled {
                guard let logger = logger(provider: name, filter: filter, snapshot: snapshot) else { continue }
                loggers.append(logger)
            }
            if side == .client { plan.client = loggers } else { plan.server = loggers }
        }
        return plan
    }

    /// `defaultProviders.accessLogging`; when that is empty and the mesh config sets `accessLogFile`, the built-in
    /// "envoy" provider (which logs to that file), so the file log is on until a Telemetry turns it off or filters it.
    static func defaultProviders(_ mesh: MeshConfig) -> [String] {
        if !mesh.defaultProviders.accessLogging.isEmpty { return mesh.defaultProviders.accessLogging }
        return mesh.accessLogFile.isEmpty ? [] : [MeshConfig.builtInFileProvider]
    }

    /// The logger for provider `name`, or nil when the mesh config defines no such provider, one of a kind that
    /// does not log, or a log service whose service or port the registry lacks (as istiod, which logs an error).
    static func logger(
        provider name: String, filter: String?, snapshot: MeshSnapshot
    ) -> Envoy_Config_Accesslog_V3_AccessLog? {
        let mesh = snapshot.meshConfig
        if let provider = mesh.extensionProvider(named: name) {
            var logger: Envoy_Config_Accesslog_V3_AccessLog
            switch provider.kind {
            case .envoyFileAccessLog(let file):
                logger = fileLogger(path: file.path, format: file.format ?? .text(defaultTextFormat))
            case .envoyHTTPALS, .envoyTCPALS, .envoyOtelALS:
                guard let service = AccessLogService(provider.kind, snapshot: snapshot) else { return nil }
                logger = service.logger
            default:
                return nil
            }
            celFilter(filter, on: &logger)
            return logger
        }
        // Istio's built-in "envoy" provider: the mesh config's file (stdout when unset) and format.
        if name == MeshConfig.builtInFileProvider {
            let path = mesh.accessLogFile.isEmpty ? "/dev/stdout" : mesh.accessLogFile
            var logger = fileLogger(path: path, format: meshFormat(mesh))
            celFilter(filter, on: &logger)
            return logger
        }
        return nil
    }

    /// The format of the mesh config's `accessLogFile`: `accessLogFormat` (Istio's default when empty) as text,
    /// or with `accessLogEncoding: JSON` as JSON (the format, when set, is then a JSON object of fields).
    static func meshFormat(_ mesh: MeshConfig) -> AccessLogFormat {
        switch mesh.accessLogEncoding {
        case .text:
            return .text(mesh.accessLogFormat.isEmpty ? defaultTextFormat : mesh.accessLogFormat)
        case .json:
            if let fields = mesh.accessLogJSONFields { return .labels(fields) }
            return .labels(Dictionary(defaultJSONFields, uniquingKeysWith: { first, _ in first }))
        }
    }

    static func fileLogger(path: String, format: AccessLogFormat) -> Envoy_Config_Accesslog_V3_AccessLog {
        var file = Envoy_Extensions_AccessLoggers_File_V3_FileAccessLog()
        file.path = path
        var logFormat = Envoy_Config_Core_V3_SubstitutionFormatString()
        switch format {
        case .text(let text):
            var source = Envoy_Config_Core_V3_DataSource()
            source.inlineString = text.hasSuffix("\n") ? text : text + "\n"
            logFormat.textFormatSource = source
        case .labels(let labels):
            var object = Google_Protobuf_Struct()
            for (key, value) in labels { object.fields[key] = Google_Protobuf_Value(stringValue: value) }
            logFormat.jsonFormat = object
        }
        file.logFormat = logFormat
        var logger = Envoy_Config_Accesslog_V3_AccessLog()
        logger.name = fileLoggerName
        logger.typedConfig = packAny(file)
        return logger
    }

    /// Puts Telemetry's `filter.expression`, when there is one, on `logger` as Envoy's CEL access log filter.
    static func celFilter(_ filter: String?, on logger: inout Envoy_Config_Accesslog_V3_AccessLog) {
        if let filter {
            var expression = Envoy_Extensions_AccessLoggers_Filters_Cel_V3_ExpressionFilter()
            expression.expression = filter
            var extensionFilter = Envoy_Config_Accesslog_V3_ExtensionFilter()
            extensionFilter.name = celFilterName
            extensionFilter.typedConfig = packAny(expression)
            var logFilter = Envoy_Config_Accesslog_V3_AccessLogFilter()
            logFilter.extensionFilter = extensionFilter
            logger.filter = logFilter
        }
    }

}

/// The Telemetry a proxy's listeners carry: access logs on every HttpConnectionManager and tcp_proxy filter, span
/// reporting on every HttpConnectionManager; server-side settings on virtualInbound, client-side ones elsewhere.
struct ListenerTelemetry {
    let accessLogs: AccessLogPlan
    let tracing: TracingPlan

    /// Both plans, from the proxy's Telemetry levels looked up once.
    init(_ context: GenerationContext<ListenerInputs>) {
        let snapshot = context.snapshot
        let levels = snapshot.telemetries(namespace: context.inputs.namespace, labels: context.inputs.workloadLabels)
        accessLogs = .of(levels: levels, snapshot: snapshot)
        tracing = .of(
            levels: levels, snapshot: snapshot,
            serviceName: Self.serviceName(namespace: context.inputs.namespace, labels: context.inputs.workloadLabels))
    }

    /// The proxy's service as istio-agent names it in the bootstrap (`<app>.<namespace>`, else
    /// `istio-proxy.<namespace>`): the OpenTelemetry tracer's `service.name`.
    static func serviceName(namespace: String, labels: [String: String]) -> String {
        if let app = labels["app"], !app.isEmpty { return "\(app).\(namespace)" }
        return namespace.isEmpty ? "istio-proxy" : "istio-proxy.\(namespace)"
    }

    func applied(to messages: [TranslatedMessage]) -> [TranslatedMessage] {
        guard !accessLogs.isEmpty || tracing.client != nil || tracing.server != nil else { return messages }
        return messages.map { translated in
            guard var listener = translated.message as? Envoy_Config_Listener_V3_Listener else { return translated }
            let server = listener.name == Envoy_Config_Listener_V3_Listener.virtualInboundName
            let loggers = server ? accessLogs.server : accessLogs.client
            let spans = server ? tracing.server : tracing.client
            let requestIDSampling = server ? tracing.serverRequestIDSampling : tracing.clientRequestIDSampling
            guard !loggers.isEmpty || spans != nil else { return translated }
            for chain in listener.filterChains.indices {
                for index in listener.filterChains[chain].filters.indices {
                    Self.attach(
                        loggers, spans, requestIDSampling, to: &listener.filterChains[chain].filters[index])
                }
            }
            if listener.hasDefaultFilterChain {
                for index in listener.defaultFilterChain.filters.indices {
                    Self.attach(loggers, spans, requestIDSampling, to: &listener.defaultFilterChain.filters[index])
                }
            }
            let sources = (loggers.isEmpty ? [] : accessLogs.sources) + (spans == nil ? [] : tracing.sources)
            return TranslatedMessage(name: translated.name, message: listener, sources: translated.sources + sources)
        }
    }

    private static func attach(
        _ loggers: [Envoy_Config_Accesslog_V3_AccessLog],
        _ spans: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.Tracing?,
        _ requestIDSampling: Bool?, to filter: inout Envoy_Config_Listener_V3_Filter
    ) {
        switch filter.name {
        case NetworkFilters.httpConnectionManagerName:
            guard
                var manager = try? Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
                    unpackingAny: filter.typedConfig)
            else { return }
            manager.accessLog = loggers
            if let spans { manager.tracing = spans }
            if spans != nil, let requestIDSampling {
                manager.requestIDExtension = TracingPlan.requestIDExtension(
                    useRequestIDForTraceSampling: requestIDSampling)
            }
            filter.typedConfig = packAny(manager)
        case NetworkFilters.tcpProxyName:
            guard !loggers.isEmpty,
                var proxy = try? Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy(unpackingAny: filter.typedConfig)
            else { return }
            proxy.accessLog = loggers
            filter.typedConfig = packAny(proxy)
        default:
            return
        }
    }
}

/// istiod's merge of `accessLogging` entries over the levels of Telemetry (mesh, namespace, workload), for one side
/// of the traffic. Pure.
enum AccessLogMerge {
    /// The enabled providers with each one's CEL filter, sorted by name.
    ///
    /// - The providers in scope are those the most specific level names (in entries for this side), else
    ///   `defaults`.
    /// - Entries are then applied from the least specific: each turns its providers on (or off, with `disabled`),
    ///   an entry without providers acting on those of the entry before it (at first `defaults`).
    /// - A provider's filter is the one of the last entry for this side that named it (or inherited it).
    /// - With no level configuring logging, the defaults are on, unfiltered.
    static func providers(
        levels: [[TelemetryAccessLogging]], defaults: [String], side: TelemetryTrafficSide
    ) -> [(name: String, filter: String?)] {
        guard !levels.isEmpty else { return defaults.sorted().map { ($0, nil) } }
        var inScope = Set(defaults)
        var filters: [String: String?] = [:]
        var inherited = defaults
        for level in levels {
            var named = Set<String>()
            for entry in level {
                let names = entry.providers.isEmpty ? inherited : entry.providers
                inherited = names
                guard entry.mode.applies(to: side) else { continue }
                named.formUnion(entry.providers)
                for provider in names { filters[provider] = .some(entry.filterExpression) }
            }
            if !named.isEmpty { inScope = named }
        }
        var enabled: [String: String?] = [:]
        var parent = defaults
        for level in levels {
            for entry in level {
                let names = entry.providers.isEmpty ? parent : entry.providers
                parent = names
                guard entry.mode.applies(to: side) else { continue }
                for name in names where inScope.contains(name) {
                    if entry.disabled == true {
                        enabled[name] = nil
                    } else {
                        enabled[name] = .some(filters[name] ?? nil)
                    }
                }
            }
        }
        return enabled.keys.sorted().map { ($0, enabled[$0] ?? nil) }
    }
}
