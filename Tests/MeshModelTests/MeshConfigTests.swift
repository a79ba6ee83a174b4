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
          skywalking: {service: skywalking.istio-system.svc.cluster.local, port: 11800}
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
        #expect(config.extensionProvider(named: "tracer")?.kind == .unsupported(kind: "skywalking"))
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
        #expect(paths.contains("extensionProviders[2].skywalking"))
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

    @Test func telemetryServiceProviders() throws {
        let yaml = """
            extensionProviders:
            - name: otel
              opentelemetry:
                service: otel.istio-system.svc.cluster.local
                port: 4317
                maxTagLength: 100
                grpc: {timeout: 2s, initialMetadata: [{name: x-tenant, value: blue}]}
                resourceDetectors: {environment: {}}
            - name: otel-http
              opentelemetry:
                service: istio-system/otel
                port: 4318
                http: {path: /v1/traces, timeout: 500ms, headers: [{name: x-key, value: k}]}
            - name: als
              envoyHttpAls:
                service: als.mesh.svc.cluster.local
                port: 9001
                logName: http-log
                filterStateObjectsToLog: [peer]
                additionalRequestHeadersToLog: [x-user]
                additionalResponseHeadersToLog: [x-served-by]
                additionalResponseTrailersToLog: [grpc-status]
            - name: tcp-als
              envoyTcpAls: {service: als.mesh.svc.cluster.local, port: 9001}
            - name: otel-logs
              envoyOtelAls:
                service: otel.istio-system.svc.cluster.local
                port: 4317
                logFormat: {text: "%RESPONSE_CODE%", labels: {path: "%REQ(:PATH)%"}}
            - name: prometheus
              prometheus: {}
            """
        let result = MeshConfigDecoder.decode(yaml: yaml, file: "mesh.yaml")
        #expect(result.errors.isEmpty && result.warnings.isEmpty, "\(result.diagnostics.map(\.description))")
        let config = try #require(result.config)
        #expect(
            config.extensionProvider(named: "otel")?.kind
                == .openTelemetry(
                    OpenTelemetryTracingProvider(
                        service: "otel.istio-system.svc.cluster.local", port: 4317, maxTagLength: 100,
                        grpcTimeoutSeconds: 2, grpcInitialMetadata: [HeaderPair(name: "x-tenant", value: "blue")],
                        environmentResourceDetector: true)))
        #expect(
            config.extensionProvider(named: "otel-http")?.kind
                == .openTelemetry(
                    OpenTelemetryTracingProvider(
                        service: "istio-system/otel", port: 4318,
                        http: .init(
                            path: "/v1/traces", timeoutSeconds: 0.5, headers: [HeaderPair(name: "x-key", value: "k")]))))
        #expect(
            config.extensionProvider(named: "als")?.kind
                == .envoyHTTPALS(
                    GRPCAccessLogProvider(
                        service: "als.mesh.svc.cluster.local", port: 9001, logName: "http-log",
                        filterStateObjectsToLog: ["peer"], additionalRequestHeadersToLog: ["x-user"],
                        additionalResponseHeadersToLog: ["x-served-by"], additionalResponseTrailersToLog: ["grpc-status"])))
        #expect(
            config.extensionProvider(named: "tcp-als")?.kind
                == .envoyTCPALS(GRPCAccessLogProvider(service: "als.mesh.svc.cluster.local", port: 9001)))
        #expect(
            config.extensionProvider(named: "otel-logs")?.kind
                == .envoyOtelALS(
                    OpenTelemetryAccessLogProvider(
                        service: "otel.istio-system.svc.cluster.local", port: 4317, text: "%RESPONSE_CODE%",
                        labels: ["path": "%REQ(:PATH)%"])))
        #expect(config.extensionProvider(named: "prometheus")?.kind == .prometheus)
    }

    @Test func telemetryProviderFieldsMeshdLacksWarnWithTheirPath() {
        let yaml = """
            extensionProviders:
            - name: otel
              opentelemetry:
                service: otel.istio-system.svc.cluster.local
                port: 4317
                resourceDetectors: {dynatrace: {}}
                dynatraceSampler: {tenant: abc}
            - name: tcp-als
              envoyTcpAls: {service: als.mesh.svc.cluster.local, port: 9001, additionalRequestHeadersToLog: [x-user]}
            """
        let result = MeshConfigDecoder.decode(yaml: yaml, file: "mesh.yaml")
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        let paths = Set(result.warnings.map(\.fieldPath))
        #expect(
            paths
                == [
                    "extensionProviders[0].opentelemetry.resourceDetectors.dynatrace",
                    "extensionProviders[0].opentelemetry.dynatraceSampler",
                    "extensionProviders[1].envoyTcpAls.additionalRequestHeadersToLog",
                ], "\(result.warnings.map(\.description))")
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
        (
            "extensionProviders: [{name: o, opentelemetry: {port: 4317}}]",
            "extensionProviders[0].opentelemetry.service", "must not be empty"
        ),
        (
            "extensionProviders: [{name: o, opentelemetry: {service: o, port: 4317, http: {path: traces}}}]",
            "extensionProviders[0].opentelemetry.http.path", "must begin with `/`"
        ),
        (
            "extensionProviders: [{name: o, opentelemetry: {service: o, port: 4317, http: {path: /t, headers: [{value: v}]}}}]",
            "extensionProviders[0].opentelemetry.http.headers[0].name", "must not be empty"
        ),
        (
            "extensionProviders: [{name: a, envoyHttpAls: {service: a, port: 99999}}]",
            "extensionProviders[0].envoyHttpAls.port", "out of range"
        ),
        (
            "extensionProviders: [{name: a, envoyHttpAls: {service: a, port: 9, additionalRequestHeadersToLog: [\"a b\"]}}]",
            "extensionProviders[0].envoyHttpAls.additionalRequestHeadersToLog[0]", "not a valid header name"
        ),
        (
            "extensionProviders: [{name: a, envoyTcpAls: {service: a}}]", "extensionProviders[0].envoyTcpAls.port",
            "required"
        ),
        (
            "extensionProviders: [{name: a, envoyOtelAls: {port: 4317}}]",
            "extensionProviders[0].envoyOtelAls.service", "must not be empty"
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
