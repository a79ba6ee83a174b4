import Foundation

extension MeshConfigDecoder {
    /// `accessLogFile`, `accessLogFormat`, `accessLogEncoding` and `defaultProviders`.
    static func decodeAccessLogSettings(_ mesh: YAMLMapping, into config: inout MeshConfig) {
        if let file = mesh.string("accessLogFile") { config.accessLogFile = file }
        if let field = mesh["accessLogEncoding"], let text = field.string() {
            if let encoding = AccessLogEncoding(rawValue: text) {
                config.accessLogEncoding = encoding
            } else {
                field.context.error(field.path, "unknown encoding \"\(text)\"; expected TEXT or JSON", node: field.node)
            }
        }
        if let field = mesh["accessLogFormat"], let format = field.string() {
            config.accessLogFormat = format
            if config.accessLogEncoding == .json, !format.trimmingSpaces().isEmpty {
                if let fields = jsonFields(format) {
                    config.accessLogJSONFields = fields
                } else {
                    field.context.error(
                        field.path,
                        "with accessLogEncoding JSON, accessLogFormat must be a JSON object whose values are "
                            + "strings, numbers or booleans",
                        node: field.node)
                }
            }
        }
        if let defaults = mesh.mapping("defaultProviders") {
            warnIgnored(defaults, handled: ["accessLogging", "tracing", "metrics"])
            config.defaultProviders = DefaultProviders(
                accessLogging: defaults.stringList("accessLogging"), tracing: defaults.stringList("tracing"),
                metrics: defaults.stringList("metrics"))
        }
    }

    /// `envoyFileAccessLog`: `path` and `logFormat` (`text` or `labels`).
    static func decodeFileAccessLog(_ body: YAMLMapping) -> FileAccessLogProvider? {
        warnIgnored(body, handled: ["path", "logFormat"])
        let path = body.string("path") ?? ""
        if path.isEmpty {
            body.context.error(body.path.appendingField("path"), "a file access log needs a path (such as /dev/stdout)")
            return nil
        }
        var provider = FileAccessLogProvider(path: path)
        if let format = body.mapping("logFormat") {
            warnIgnored(format, handled: ["text", "labels", "omitEmptyValues"])
            if format.contains("text") && format.contains("labels") {
                format.context.error(format.path, "set only one of text and labels")
            } else if let text = format.string("text") {
                provider.format = .text(text)
            } else if let labels = format.mapping("labels") {
                var fields: [String: String] = [:]
                for key in labels.keys {
                    if let value = labels.string(key) { fields[key] = value }
                }
                provider.format = .labels(fields)
            }
        }
        return provider
    }

    /// `zipkin`: `service`, `port`, `maxTagLength`, `enable64bitTraceId`, `path`.
    static func decodeZipkin(_ body: YAMLMapping) -> ZipkinProvider? {
        warnIgnored(body, handled: ["service", "port", "maxTagLength", "enable64bitTraceId", "path"])
        guard let (service, port) = serviceAndPort(body) else { return nil }
        var zipkin = ZipkinProvider(service: service, port: port)
        if let length = body.int("maxTagLength", .uint32) { zipkin.maxTagLength = length }
        if let wide = body.bool("enable64bitTraceId") { zipkin.enable64bitTraceID = wide }
        if let field = body["path"], let path = field.string(), !path.isEmpty {
            if path.hasPrefix("/") {
                zipkin.path = path
            } else {
                field.context.error(field.path, "must begin with `/`, found \"\(path)\"", node: field.node)
            }
        }
        return zipkin
    }

    /// A JSON object's fields as format strings; nil when `text` is not a JSON object of scalars.
    static func jsonFields(_ text: String) -> [String: String]? {
        guard let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        var fields: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let string as String: fields[key] = string
            case let number as NSNumber: fields[key] = number.stringValue
            default: return nil
            }
        }
        return fields
    }
}
