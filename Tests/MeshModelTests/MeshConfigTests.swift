import MeshModel
import Testing

/// Istio's mesh config: the fields meshd reads, a warning with its path for every other field, errors that name the
/// field. The last-good rule in the store, the version and the live reload are `MeshConfigStoreTests` (RegistryTests).
@Suite("Mesh config")
struct MeshConfigTests {
    static let full = """
        rootNamespace: mesh-root
        trustDomain: example.org
        trustDomainAliases: [old.example.org, cluster.local]
        outboundTrafficPolicy:
          mode: REGISTRY_ONLY
        enableAutoMtls: false
        defaultConfig:
          tracing: {sampling: 10}
          drainDuration: 45s
        enableTracing: true
        extensionProviders:
        - name: ext-http
          envoyExtAuthzHttp:
            service: ext-authz.auth.svc.cluster.local
            port: 8000
            timeout: 2s
            pathPrefix: /check
            failOpen: true
            clearRouteCache: true
            statusOnError: "503"
            includeRequestHeadersInCheck: [x-ext-authz]
            includeAdditionalHeadersInCheck: {x-added: "yes"}
            headersToUpstreamOnAllow: [x-user]
            headersToDownstreamOnDeny: [x-reason]
            headersToDownstreamOnAllow: [x-trace]
            includeRequestBodyInCheck: {maxRequestBytes: 1024, allowPartialMessage: true, packAsBytes: true}
        - name: ext-grpc
          envoyExtAuthzGrpc:
            service: auth/ext-authz-grpc.auth.svc.cluster.local
            port: 9000
            timeout: 500ms
            failOpen: false
            statusOnError: "403"
            includeRequestBodyInCheck: {maxRequestBytes: 10}
        - name: tracer
          opentelemetry: {service: otel.istio-system.svc.cluster.local, port: 4317}
        """

    @Test func decodesTheFieldsMeshdReads() throws {
        let result = MeshConfigDecoder.decode(yaml: Self.full, file: "mesh.yaml")
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        let config = try #require(result.config)
        #expect(config.rootNamespace == "mesh-root")
        #expect(config.trustDomain == "example.org")
        #expect(config.trustDomainAliases == ["old.example.org", "cluster.local"])
        #expect(config.outboundTrafficPolicy == .registryOnly)
        #expect(!config.enableAutoMtls)
        #expect(config.extensionProviders.map(\.name) == ["ext-http", "ext-grpc", "tracer"])
        #expect(config.extensionProvider(named: "tracer")?.kind == .unsupported(kind: "opentelemetry"))
        guard case .envoyExtAuthzHTTP(let http)? = config.extensionProvider(named: "ext-http")?.kind else {
            Issue.record("no HTTP provider")
            return
        }
        #expect(http.service == "ext-authz.auth.svc.cluster.local" && http.port == 8000)
        #expect(http.timeoutSeconds == 2 && http.pathPrefix == "/check" && http.failOpen && http.clearRouteCache)
        #expect(http.statusOnError == 503)
        #expect(http.includeRequestHeadersInCheck == ["x-ext-authz"])
        #expect(http.includeAdditionalHeadersInCheck == ["x-added": "yes"])
        #expect(http.headersToUpstreamOnAllow == ["x-user"] && http.headersToDownstreamOnDeny == ["x-reason"])
        #expect(http.headersToDownstreamOnAllow == ["x-trace"])
        #expect(
            http.includeRequestBodyInCheck
                == ExtAuthzRequestBody(maxRequestBytes: 1024, allowPartialMessage: true, packAsBytes: true))
        guard case .envoyExtAuthzGRPC(let grpc)? = config.extensionProvider(named: "ext-grpc")?.kind else {
            Issue.record("no gRPC provider")
            return
        }
        #expect(grpc.service == "auth/ext-authz-grpc.auth.svc.cluster.local" && grpc.port == 9000)
        #expect(grpc.timeoutSeconds == 0.5 && !grpc.failOpen && grpc.statusOnError == 403)
        #expect(grpc.includeRequestBodyInCheck?.maxRequestBytes == 10)
    }

    @Test func otherFieldsWarnWithTheirPath() {
        let result = MeshConfigDecoder.decode(yaml: Self.full, file: "mesh.yaml")
        let paths = Set(result.warnings.map(\.fieldPath))
        #expect(paths.contains("defaultConfig.drainDuration"))
        #expect(!paths.contains("defaultConfig") && !paths.contains("defaultConfig.tracing"))
        #expect(paths.contains("enableTracing"))
        #expect(paths.contains("extensionProviders[2].opentelemetry"))
        #expect(result.warnings.first { $0.fieldPath == "enableTracing" }?.line == 10)
        #expect(result.warnings.allSatisfy { $0.reason.contains("ignored") })
    }

    @Test func accessLogFieldsAndFileProviders() throws {
        let yaml = """
            accessLogFile: /dev/stdout
            accessLogEncoding: JSON
            accessLogFormat: '{"code": "%RESPONSE_CODE%", "size": 12}'
            defaultProviders:
              accessLogging: [file, envoy]
              tracing: [zipkin]
              metrics: [prometheus]
            extensionProviders:
            - name: file
              envoyFileAccessLog:
                path: /var/log/mesh.log
                logFormat:
                  labels: {path: "%REQ(:PATH)%"}
            - name: plain
              envoyFileAccessLog: {path: /dev/stderr, logFormat: {text: "%RESPONSE_CODE%"}}
            - name: zipkin
              zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411, maxTagLength: 64, enable64bitTraceId: true, path: /spans}
            """
        let result = MeshConfigDecoder.decode(yaml: yaml, file: "mesh.yaml")
        #expect(result.errors.isEmpty && result.warnings.isEmpty, "\(result.diagnostics.map(\.description))")
        let config = try #require(result.config)
        #expect(config.accessLogFile == "/dev/stdout")
        #expect(config.accessLogEncoding == .json)
        #expect(config.accessLogJSONFields == ["code": "%RESPONSE_CODE%", "size": "12"])
        #expect(
            config.defaultProviders
                == DefaultProviders(accessLogging: ["file", "envoy"], tracing: ["zipkin"], metrics: ["prometheus"]))
        #expect(
            config.extensionProvider(named: "file")?.kind
                == .envoyFileAccessLog(
                    FileAccessLogProvider(path: "/var/log/mesh.log", format: .labels(["path": "%REQ(:PATH)%"]))))
        #expect(
            config.extensionProvider(named: "plain")?.kind
                == .envoyFileAccessLog(FileAccessLogProvider(path: "/dev/stderr", format: .text("%RESPONSE_CODE%"))))
        #expect(
            config.extensionProvider(named: "zipkin")?.kind
                == .zipkin(
                    ZipkinProvider(
                        service: "zipkin.istio-system.svc.cluster.local", port: 9411, maxTagLength: 64,
                        enable64bitTraceID: true, path: "/spans")))
    }

    @Test func emptyTextIsIstiodsDefaults() {
        #expect(MeshConfigDecoder.decode(yaml: "", file: "mesh.yaml").config == .default)
        #expect(MeshConfigDecoder.decode(yaml: "# nothing\n", file: "mesh.yaml").config == .default)
    }

    static let refusals: [(yaml: String, path: String, reason: String)] = [
        ("rootNamespace: Not_A_Namespace", "rootNamespace", "not a valid namespace name"),
        ("trustDomain: \"a/b\"", "trustDomain", "may only hold"),
        ("trustDomainAliases: [\"\"]", "trustDomainAliases[0]", "must not be empty"),
        (
            "outboundTrafficPolicy: {mode: SOMETIMES}", "outboundTrafficPolicy.mode",
            "expected ALLOW_ANY or REGISTRY_ONLY"
        ),
        ("enableAutoMtls: maybe", "enableAutoMtls", "expected true or false"),
        (
            "extensionProviders: [{envoyExtAuthzHttp: {service: a, port: 1}}]", "extensionProviders[0].name",
            "must not be empty"
        ),
        ("extensionProviders: [{name: a}]", "extensionProviders[0]", "must set one provider kind"),
        (
            "extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a, port: 1}, envoyExtAuthzGrpc: {service: a, port: 1}}]",
            "extensionProviders[0]", "expected one"
        ),
        (
            "extensionProviders: [{name: a, envoyExtAuthzHttp: {port: 80}}]",
            "extensionProviders[0].envoyExtAuthzHttp.service", "must not be empty"
        ),
        (
            "extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a}}]",
            "extensionProviders[0].envoyExtAuthzHttp.port", "required"
        ),
        (
            "extensionProviders: [{name: a, envoyExtAuthzGrpc: {service: a, port: 70000}}]",
            "extensionProviders[0].envoyExtAuthzGrpc.port", "out of range"
        ),
        (
            "extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a, port: 80, pathPrefix: check}}]",
            "extensionProviders[0].envoyExtAuthzHttp.pathPrefix", "must begin with `/`"
        ),
        (
            "extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a, port: 80, statusOnError: nope}}]",
            "extensionProviders[0].envoyExtAuthzHttp.statusOnError", "HTTP status code"
        ),
        (
            "extensionProviders: [{name: a, envoyExtAuthzGrpc: {service: a, port: 80, timeout: forever}}]",
            "extensionProviders[0].envoyExtAuthzGrpc.timeout", "invalid duration"
        ),
        (
            "extensionProviders: [{name: a, envoyExtAuthzHttp: {service: \"a b\", port: 80}}]",
            "extensionProviders[0].envoyExtAuthzHttp.service", "not a hostname"
        ),
        (
            "extensionProviders: [{name: a, envoyExtAuthzGrpc: {service: a, port: 1}}, {name: a, envoyExtAuthzGrpc: {service: b, port: 2}}]",
            "extensionProviders[1].name", "duplicate extension provider name"
        ),
        ("accessLogEncoding: XML", "accessLogEncoding", "expected TEXT or JSON"),
        (
            "accessLogEncoding: JSON\naccessLogFormat: '%START_TIME% %RESPONSE_CODE%'", "accessLogFormat",
            "must be a JSON object"
        ),
        (
            "extensionProviders: [{name: f, envoyFileAccessLog: {}}]", "extensionProviders[0].envoyFileAccessLog.path",
            "needs a path"
        ),
        (
            "extensionProviders: [{name: f, envoyFileAccessLog: {path: /dev/stdout, logFormat: {text: a, labels: {b: c}}}}]",
            "extensionProviders[0].envoyFileAccessLog.logFormat", "only one of text and labels"
        ),
        (
            "extensionProviders: [{name: z, zipkin: {service: z, port: 9411, path: spans}}]",
            "extensionProviders[0].zipkin.path", "must begin with `/`"
        ),
        (
            "extensionProviders: [{name: z, zipkin: {port: 9411}}]", "extensionProviders[0].zipkin.service",
            "must not be empty"
        ),
        ("rootNamespace: [a]", "rootNamespace", "expected a string"),
        ("[not, a, mapping]", "", "expected a mapping"),
        ("rootNamespace: {", "", "does not parse"),
    ]

    @Test(arguments: refusals.indices)
    func invalidValuesAreErrorsNamingTheField(_ index: Int) {
        let refusal = Self.refusals[index]
        let result = MeshConfigDecoder.decode(yaml: refusal.yaml, file: "mesh.yaml")
        #expect(result.config == nil, "accepted: \(refusal.yaml)")
        #expect(
            result.errors.contains { $0.fieldPath == refusal.path && $0.reason.contains(refusal.reason) },
            "\(refusal.yaml): \(result.errors.map(\.description))")
    }
}
