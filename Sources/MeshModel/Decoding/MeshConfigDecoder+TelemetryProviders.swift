extension MeshConfigDecoder {
    /// `opentelemetry`: `service`, `port`, `maxTagLength`, `http` (`path`, `timeout`, `headers`), `grpc`
    /// (`timeout`, `initialMetadata`) and `resourceDetectors` (`environment`; `dynatrace` is warned about).
    static func decodeOpenTelemetryTracing(_ body: YAMLMapping) -> OpenTelemetryTracingProvider? {
        warnIgnored(
            body, handled: ["service", "port", "maxTagLength", "http", "grpc", "resourceDetectors", "dynatraceSampler"])
        guard let (service, port) = serviceAndPort(body) else { return nil }
        var otel = OpenTelemetryTracingProvider(service: service, port: port)
        if let length = body.int("maxTagLength", .uint32) { otel.maxTagLength = length }
        if let http = body.mapping("http") {
            warnIgnored(http, handled: ["path", "timeout", "headers"])
            let path = http.string("path") ?? ""
            if !path.isEmpty && !path.hasPrefix("/") {
                http.context.error(http.path.appendingField("path"), "must begin with `/`, found \"\(path)\"")
                return nil
            }
            otel.http = .init(path: path, timeoutSeconds: timeout(http), headers: headerPairs(http, "headers"))
        }
        if let grpc = body.mapping("grpc") {
            warnIgnored(grpc, handled: ["timeout", "initialMetadata"])
            otel.grpcTimeoutSeconds = timeout(grpc)
            otel.grpcInitialMetadata = headerPairs(grpc, "initialMetadata")
        }
        if let detectors = body.mapping("resourceDetectors") {
            warnIgnored(detectors, handled: ["environment", "dynatrace"])
            otel.environmentResourceDetector = detectors.contains("environment")
            if detectors.contains("dynatrace") {
                detectors.context.warning(
                    detectors.path.appendingField("dynatrace"),
                    "the Dynatrace resource detector is not supported by meshd, ignored")
            }
        }
        if body.contains("dynatraceSampler") {
            body.context.warning(
                body.path.appendingField("dynatraceSampler"),
                "the Dynatrace sampler is not supported by meshd, ignored (Telemetry's sampling applies)")
        }
        return otel
    }

    /// `envoyHttpAls` (`http`) and `envoyTcpAls`: `service`, `port`, `logName`, `filterStateObjectsToLog`, and for
    /// HTTP the additional request and response headers and response trailers to log.
    static func decodeGRPCAccessLog(_ body: YAMLMapping, http: Bool) -> GRPCAccessLogProvider? {
        let headerLists = [
            "additionalRequestHeadersToLog", "additionalResponseHeadersToLog", "additionalResponseTrailersToLog",
        ]
        warnIgnored(body, handled: Set(["service", "port", "logName", "filterStateObjectsToLog"] + (http ? headerLists : [])))
        guard let (service, port) = serviceAndPort(body) else { return nil }
        var als = GRPCAccessLogProvider(service: service, port: port)
        if let name = body.string("logName"), !name.isEmpty { als.logName = name }
        als.filterStateObjectsToLog = body.stringList("filterStateObjectsToLog")
        guard http else { return als }
        for key in headerLists {
            for item in body.sequence(key) {
                guard let name = item.string() else { continue }
                if !HTTPHeaderSyntax.isToken(name) {
                    item.context.error(item.path, "\"\(name)\" is not a valid header name", node: item.node)
                }
            }
        }
        als.additionalRequestHeadersToLog = body.stringList("additionalRequestHeadersToLog")
        als.additionalResponseHeadersToLog = body.stringList("additionalResponseHeadersToLog")
        als.additionalResponseTrailersToLog = body.stringList("additionalResponseTrailersToLog")
        return als
    }

    /// `envoyOtelAls`: `service`, `port`, `logName` and `logFormat` (`text` for the body, `labels` for the
    /// attributes; both may be set).
    static func decodeOpenTelemetryAccessLog(_ body: YAMLMapping) -> OpenTelemetryAccessLogProvider? {
        warnIgnored(body, handled: ["service", "port", "logName", "logFormat"])
        guard let (service, port) = serviceAndPort(body) else { return nil }
        var otel = OpenTelemetryAccessLogProvider(service: service, port: port)
        if let name = body.string("logName"), !name.isEmpty { otel.logName = name }
        if let format = body.mapping("logFormat") {
            warnIgnored(format, handled: ["text", "labels"])
            if let text = format.string("text"), !text.isEmpty { otel.text = text }
            if let labels = format.mapping("labels") {
                for key in labels.keys {
                    guard let value = labels[key]?.string() else { continue }
                    otel.labels[key] = value
                }
            }
        }
        return otel
    }

    /// A list of `{name, value}` pairs at `key`; an empty name is refused.
    private static func headerPairs(_ body: YAMLMapping, _ key: String) -> [HeaderPair] {
        var pairs: [HeaderPair] = []
        for item in body.sequence(key) {
            guard let entry = item.mapping() else { continue }
            warnIgnored(entry, handled: ["name", "value"])
            let name = entry.string("name") ?? ""
            if name.isEmpty {
                entry.context.error(entry.path.appendingField("name"), "header name must not be empty")
                continue
            }
            pairs.append(HeaderPair(name: name, value: entry.string("value") ?? ""))
        }
        return pairs
    }
}
