extension MeshConfigDecoder {
    /// The provider kinds of Istio's mesh config that meshd does not use; a provider of one of them is skipped with a
    /// warning (a CUSTOM AuthorizationPolicy naming it then has no provider, and fails closed).
    static let otherProviderKinds: Set<String> = [
        "lightstep", "datadog", "stackdriver", "opencensus", "skywalking", "sds",
    ]

    /// One `extensionProviders[]` entry: a name and exactly one kind.
    static func decodeExtensionProvider(_ mapping: YAMLMapping) -> ExtensionProvider? {
        let kinds = [
            "envoyExtAuthzHttp", "envoyExtAuthzGrpc", "envoyFileAccessLog", "zipkin", "opentelemetry", "envoyHttpAls",
            "envoyTcpAls", "envoyOtelAls", "prometheus",
        ]
        warnIgnored(mapping, handled: Set(["name"] + kinds).union(otherProviderKinds))
        let name = mapping.string("name") ?? ""
        if name.isEmpty {
            mapping.context.error(mapping.path.appendingField("name"), "extension provider name must not be empty")
        }
        let written = mapping.keys.filter { kinds.contains($0) || otherProviderKinds.contains($0) }
        if written.count != 1 {
            mapping.context.error(
                mapping.path,
                written.isEmpty
                    ? "extension provider \"\(name)\" must set one provider kind"
                    : "extension provider \"\(name)\" sets \(written.count) provider kinds (\(written.joined(separator: ", "))); expected one"
            )
            return nil
        }
        switch written[0] {
        case "envoyExtAuthzHttp":
            guard let body = mapping.mapping("envoyExtAuthzHttp"), let http = decodeExtAuthzHTTP(body) else {
                return nil
            }
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .envoyExtAuthzHTTP(http))
        case "envoyExtAuthzGrpc":
            guard let body = mapping.mapping("envoyExtAuthzGrpc"), let grpc = decodeExtAuthzGRPC(body) else {
                return nil
            }
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .envoyExtAuthzGRPC(grpc))
        case "zipkin":
            guard let body = mapping.mapping("zipkin"), let zipkin = decodeZipkin(body) else { return nil }
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .zipkin(zipkin))
        case "envoyFileAccessLog":
            guard let body = mapping.mapping("envoyFileAccessLog"), let file = decodeFileAccessLog(body) else {
                return nil
            }
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .envoyFileAccessLog(file))
        case "opentelemetry":
            guard let body = mapping.mapping("opentelemetry"), let otel = decodeOpenTelemetryTracing(body) else {
                return nil
            }
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .openTelemetry(otel))
        case "envoyHttpAls":
            guard let body = mapping.mapping("envoyHttpAls"), let als = decodeGRPCAccessLog(body, http: true) else {
                return nil
            }
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .envoyHTTPALS(als))
        case "envoyTcpAls":
            guard let body = mapping.mapping("envoyTcpAls"), let als = decodeGRPCAccessLog(body, http: false) else {
                return nil
            }
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .envoyTCPALS(als))
        case "envoyOtelAls":
            guard let body = mapping.mapping("envoyOtelAls"), let otel = decodeOpenTelemetryAccessLog(body) else {
                return nil
            }
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .envoyOtelALS(otel))
        case "prometheus":
            if let body = mapping.mapping("prometheus") { warnIgnored(body, handled: []) }
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .prometheus)
        default:
            _ = mapping[written[0]]
            mapping.context.warning(
                mapping.path.appendingField(written[0]),
                "extension provider \"\(name)\" of kind \(written[0]) is not supported by meshd, ignored "
                    + "(a Telemetry or AuthorizationPolicy naming it gets nothing from it)")
            return name.isEmpty ? nil : ExtensionProvider(name: name, kind: .unsupported(kind: written[0]))
        }
    }

    static func decodeExtAuthzHTTP(_ body: YAMLMapping) -> ExtAuthzHTTPProvider? {
        warnIgnored(
            body,
            handled: [
                "service", "port", "timeout", "pathPrefix", "failOpen", "statusOnError", "includeHeadersInCheck",
                "includeRequestHeadersInCheck", "includeAdditionalHeadersInCheck", "includeRequestBodyInCheck",
                "headersToUpstreamOnAllow", "headersToDownstreamOnDeny", "headersToDownstreamOnAllow",
                "clearRouteCache",
            ])
        guard let (service, port) = serviceAndPort(body) else { return nil }
        var provider = ExtAuthzHTTPProvider(service: service, port: port)
        provider.timeoutSeconds = timeout(body)
        if let field = body["pathPrefix"], let prefix = field.string() {
            if !prefix.isEmpty && !prefix.hasPrefix("/") {
                field.context.error(field.path, "pathPrefix must begin with `/`, found \"\(prefix)\"", node: field.node)
            }
            provider.pathPrefix = prefix
        }
        provider.failOpen = body.bool("failOpen") ?? false
        provider.clearRouteCache = body.bool("clearRouteCache") ?? false
        provider.statusOnError = statusOnError(body)
        provider.includeRequestHeadersInCheck = headerNames(body, "includeRequestHeadersInCheck")
        if provider.includeRequestHeadersInCheck.isEmpty, body.contains("includeHeadersInCheck") {
            provider.includeRequestHeadersInCheck = headerNames(body, "includeHeadersInCheck")
            body.context.warning(
                body.path.appendingField("includeHeadersInCheck"),
                "deprecated; read as includeRequestHeadersInCheck (as istiod does)")
        }
        if let additional = body.mapping("includeAdditionalHeadersInCheck") {
            for key in additional.keys {
                guard let value = additional[key]?.string() else { continue }
                if !HTTPHeaderSyntax.isToken(key) {
                    additional.context.error(
                        additional.path.appendingField(key), "\"\(key)\" is not a valid header name")
                }
                provider.includeAdditionalHeadersInCheck[key] = value
            }
        }
        provider.headersToUpstreamOnAllow = headerNames(body, "headersToUpstreamOnAllow")
        provider.headersToDownstreamOnDeny = headerNames(body, "headersToDownstreamOnDeny")
        provider.headersToDownstreamOnAllow = headerNames(body, "headersToDownstreamOnAllow")
        provider.includeRequestBodyInCheck = requestBody(body)
        return provider
    }

    static func decodeExtAuthzGRPC(_ body: YAMLMapping) -> ExtAuthzGRPCProvider? {
        warnIgnored(
            body,
            handled: [
                "service", "port", "timeout", "failOpen", "statusOnError", "includeRequestBodyInCheck",
                "clearRouteCache",
            ])
        guard let (service, port) = serviceAndPort(body) else { return nil }
        var provider = ExtAuthzGRPCProvider(service: service, port: port)
        provider.timeoutSeconds = timeout(body)
        provider.failOpen = body.bool("failOpen") ?? false
        provider.clearRouteCache = body.bool("clearRouteCache") ?? false
        provider.statusOnError = statusOnError(body)
        provider.includeRequestBodyInCheck = requestBody(body)
        return provider
    }

    /// `service` (a hostname, or `namespace/hostname`) and `port` (1-65535), both required.
    static func serviceAndPort(_ body: YAMLMapping) -> (String, Int)? {
        let service = body.string("service") ?? ""
        var ok = true
        if service.isEmpty {
            body.context.error(body.path.appendingField("service"), "service must not be empty")
            ok = false
        } else {
            let host = service.split(separator: "/", maxSplits: 1).last.map(String.init) ?? service
            if service.split(separator: "/", omittingEmptySubsequences: false).count > 2
                || HostSyntax.wildcardDomainProblem(host) != nil
            {
                body.context.error(
                    body.path.appendingField("service"), "\"\(service)\" is not a hostname or namespace/hostname")
                ok = false
            }
        }
        let port = body.int("port", .uint32)
        if let port, !(1...65535).contains(port) {
            body.context.error(body.path.appendingField("port"), "port \(port) is out of range 1-65535")
            ok = false
        } else if port == nil && !body.contains("port") {
            body.context.error(body.path.appendingField("port"), "port is required")
            ok = false
        }
        guard ok, let port else { return nil }
        return (service, port)
    }

    static func timeout(_ body: YAMLMapping) -> Double? {
        guard let field = body["timeout"], let duration = field.goDuration() else { return nil }
        if duration <= .zero {
            field.context.error(field.path, "timeout must be positive", node: field.node)
            return nil
        }
        return Double(duration.milliseconds) / 1000
    }

    /// `statusOnError`: an HTTP status code, written as a string in Istio's API.
    private static func statusOnError(_ body: YAMLMapping) -> Int? {
        guard let field = body["statusOnError"], let text = field.string() else { return nil }
        guard let code = Int(text), (100...599).contains(code) else {
            field.context.error(
                field.path, "statusOnError must be an HTTP status code (100-599), found \"\(text)\"", node: field.node)
            return nil
        }
        return code
    }

    private static func headerNames(_ body: YAMLMapping, _ key: String) -> [String] {
        var names: [String] = []
        for item in body.sequence(key) {
            guard let name = item.string() else { continue }
            if name.isEmpty { item.context.error(item.path, "header name must not be empty", node: item.node) }
            names.append(name)
        }
        return names
    }

    private static func requestBody(_ body: YAMLMapping) -> ExtAuthzRequestBody? {
        guard let mapping = body.mapping("includeRequestBodyInCheck") else { return nil }
        warnIgnored(mapping, handled: ["maxRequestBytes", "allowPartialMessage", "packAsBytes"])
        return ExtAuthzRequestBody(
            maxRequestBytes: mapping.int("maxRequestBytes", .uint32) ?? 0,
            allowPartialMessage: mapping.bool("allowPartialMessage") ?? false,
            packAsBytes: mapping.bool("packAsBytes") ?? false)
    }
}
