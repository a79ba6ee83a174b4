/// Istio's MeshConfig: the `mesh` key of the `istio` ConfigMap in `istio-system`, or `meshd serve --mesh-config`.
///
/// Only the fields meshd acts on are modelled; every other field is warned about with its path when decoded.
/// The defaults are istiod's.
public struct MeshConfig: Sendable, Hashable {
    /// `rootNamespace`: whose selector-less policies apply mesh-wide, and where mesh-wide DestinationRules live.
    public var rootNamespace: String
    public var trustDomain: String
    public var trustDomainAliases: [String]
    /// `outboundTrafficPolicy.mode`; nil when unset (the `--outbound-traffic-policy` flag or ALLOW_ANY decides).
    public var outboundTrafficPolicy: OutboundTrafficPolicyMode?
    public var enableAutoMtls: Bool
    public var extensionProviders: [ExtensionProvider]
    /// `accessLogFile`: where every proxy writes its access log (`/dev/stdout`); empty for none.
    public var accessLogFile: String = ""
    /// `accessLogFormat`: Envoy format string (TEXT) or JSON object of fields (JSON); empty for Istio's default.
    public var accessLogFormat: String = ""
    public var accessLogEncoding: AccessLogEncoding = .text
    /// With `accessLogEncoding: JSON` and an `accessLogFormat`, its fields (decoded from the JSON object).
    public var accessLogJSONFields: [String: String]?
    public var defaultProviders = DefaultProviders()
    /// `defaultConfig`: the mesh-wide proxy settings, under every ProxyConfig (`concurrency`, `image.imageType`,
    /// `proxyMetadata`, `tracing.sampling`).
    public var defaultConfig = ProxySettings()
    /// `discoverySelectors`: the namespaces meshd considers, any selector matching (OR); empty considers all.
    /// Objects read from Kubernetes in another namespace are ignored entirely (`ConfigStore`).
    public var discoverySelectors: [LabelSelector] = []
    /// `localityLbSetting`: the mesh-wide locality load balancing, used where a DestinationRule sets none.
    /// istiod's default is `{enabled: true}`; a mesh config's setting is merged over it.
    public var localityLbSetting: LocalityLoadBalancerSetting? = .meshDefault

    /// Whether a namespace with these labels is in the mesh's discovery scope.
    public func discovers(namespaceLabels labels: [String: String]) -> Bool {
        discoverySelectors.isEmpty || discoverySelectors.contains { $0.matches(labels) }
    }

    public init(
        rootNamespace: String = MeshDefaults.rootNamespace, trustDomain: String = MeshDefaults.trustDomain,
        trustDomainAliases: [String] = [], outboundTrafficPolicy: OutboundTrafficPolicyMode? = nil,
        enableAutoMtls: Bool = true, extensionProviders: [ExtensionProvider] = []
    ) {
        self.rootNamespace = rootNamespace
        self.trustDomain = trustDomain
        self.trustDomainAliases = trustDomainAliases
        self.outboundTrafficPolicy = outboundTrafficPolicy
        self.enableAutoMtls = enableAutoMtls
        self.extensionProviders = extensionProviders
    }

    /// istiod's defaults.
    public static let `default` = MeshConfig()

    /// The provider Istio's default mesh config defines as `envoy`: a file access log to `accessLogFile` (or
    /// stdout) in `accessLogFormat`, unless `extensionProviders` defines a provider of that name.
    public static let builtInFileProvider = "envoy"

    /// The extension provider called `name`, if any.
    public func extensionProvider(named name: String) -> ExtensionProvider? {
        extensionProviders.first { $0.name == name }
    }
}

/// One `extensionProviders[]` entry.
public struct ExtensionProvider: Sendable, Hashable {
    public var name: String
    public var kind: Kind

    public enum Kind: Sendable, Hashable {
        case envoyExtAuthzHTTP(ExtAuthzHTTPProvider)
        case envoyExtAuthzGRPC(ExtAuthzGRPCProvider)
        case envoyFileAccessLog(FileAccessLogProvider)
        case zipkin(ZipkinProvider)
        case openTelemetry(OpenTelemetryTracingProvider)
        case envoyHTTPALS(GRPCAccessLogProvider)
        case envoyTCPALS(GRPCAccessLogProvider)
        case envoyOtelALS(OpenTelemetryAccessLogProvider)
        /// `prometheus`: Istio's standard metrics, which only istio-proxy's stats filter makes; kept so a Telemetry
        /// naming it is told what upstream Envoy offers instead.
        case prometheus
        /// A provider of a kind meshd reads but cannot configure Envoy for (Datadog, SkyWalking and the other
        /// tracers): kept by name so a Telemetry naming it is told so, not that it does not exist.
        case unsupported(kind: String)

        /// The mesh config's name for the kind (`envoyFileAccessLog`).
        public var name: String {
            switch self {
            case .envoyExtAuthzHTTP: "envoyExtAuthzHttp"
            case .envoyExtAuthzGRPC: "envoyExtAuthzGrpc"
            case .envoyFileAccessLog: "envoyFileAccessLog"
            case .zipkin: "zipkin"
            case .openTelemetry: "opentelemetry"
            case .envoyHTTPALS: "envoyHttpAls"
            case .envoyTCPALS: "envoyTcpAls"
            case .envoyOtelALS: "envoyOtelAls"
            case .prometheus: "prometheus"
            case .unsupported(let kind): kind
            }
        }

        /// The registry service (`service`, `port`) a telemetry provider sends to; nil for the others.
        public var telemetryTarget: (service: String, port: Int)? {
            switch self {
            case .zipkin(let zipkin): (zipkin.service, zipkin.port)
            case .openTelemetry(let otel): (otel.service, otel.port)
            case .envoyHTTPALS(let als), .envoyTCPALS(let als): (als.service, als.port)
            case .envoyOtelALS(let otel): (otel.service, otel.port)
            default: nil
            }
        }
    }

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// `envoyExtAuthzHttp`.
public struct ExtAuthzHTTPProvider: Sendable, Hashable {
    /// `service`: a hostname in the registry, e.g. `ext-authz.foo.svc.cluster.local` (or `ns/host`).
    public var service: String
    public var port: Int
    public var timeoutSeconds: Double?
    public var pathPrefix: String?
    public var failOpen: Bool
    /// `statusOnError`: HTTP status sent when the service cannot be reached (default 403).
    public var statusOnError: Int?
    public var includeRequestHeadersInCheck: [String]
    public var includeAdditionalHeadersInCheck: [String: String]
    public var headersToUpstreamOnAllow: [String]
    public var headersToDownstreamOnDeny: [String]
    public var headersToDownstreamOnAllow: [String]
    public var includeRequestBodyInCheck: ExtAuthzRequestBody?
    /// `clearRouteCache`: recompute the route after the check (headers the authorizer set may change it).
    public var clearRouteCache: Bool = false

    public init(
        service: String, port: Int, timeoutSeconds: Double? = nil, pathPrefix: String? = nil, failOpen: Bool = false,
        statusOnError: Int? = nil, includeRequestHeadersInCheck: [String] = [],
        includeAdditionalHeadersInCheck: [String: String] = [:], headersToUpstreamOnAllow: [String] = [],
        headersToDownstreamOnDeny: [String] = [], headersToDownstreamOnAllow: [String] = [],
        includeRequestBodyInCheck: ExtAuthzRequestBody? = nil
    ) {
        self.service = service
        self.port = port
        self.timeoutSeconds = timeoutSeconds
        self.pathPrefix = pathPrefix
        self.failOpen = failOpen
        self.statusOnError = statusOnError
        self.includeRequestHeadersInCheck = includeRequestHeadersInCheck
        self.includeAdditionalHeadersInCheck = includeAdditionalHeadersInCheck
        self.headersToUpstreamOnAllow = headersToUpstreamOnAllow
        self.headersToDownstreamOnDeny = headersToDownstreamOnDeny
        self.headersToDownstreamOnAllow = headersToDownstreamOnAllow
        self.includeRequestBodyInCheck = includeRequestBodyInCheck
    }
}

/// `envoyExtAuthzGrpc`.
public struct ExtAuthzGRPCProvider: Sendable, Hashable {
    public var service: String
    public var port: Int
    public var timeoutSeconds: Double?
    public var failOpen: Bool
    public var statusOnError: Int?
    public var includeRequestBodyInCheck: ExtAuthzRequestBody?
    public var clearRouteCache: Bool = false

    public init(
        service: String, port: Int, timeoutSeconds: Double? = nil, failOpen: Bool = false, statusOnError: Int? = nil,
        includeRequestBodyInCheck: ExtAuthzRequestBody? = nil
    ) {
        self.service = service
        self.port = port
        self.timeoutSeconds = timeoutSeconds
        self.failOpen = failOpen
        self.statusOnError = statusOnError
        self.includeRequestBodyInCheck = includeRequestBodyInCheck
    }
}

/// `includeRequestBodyInCheck`.
public struct ExtAuthzRequestBody: Sendable, Hashable {
    public var maxRequestBytes: Int
    public var allowPartialMessage: Bool
    public var packAsBytes: Bool

    public init(maxRequestBytes: Int, allowPartialMessage: Bool = false, packAsBytes: Bool = false) {
        self.maxRequestBytes = maxRequestBytes
        self.allowPartialMessage = allowPartialMessage
        self.packAsBytes = packAsBytes
    }
}

/// `accessLogEncoding`.
public enum AccessLogEncoding: String, Sendable, Hashable {
    case text = "TEXT"
    case json = "JSON"
}

/// `defaultProviders`: the extension providers used where a Telemetry names none (or where there is none).
public struct DefaultProviders: Sendable, Hashable {
    public var accessLogging: [String]
    public var tracing: [String]
    public var metrics: [String]

    public init(accessLogging: [String] = [], tracing: [String] = [], metrics: [String] = []) {
        self.accessLogging = accessLogging
        self.tracing = tracing
        self.metrics = metrics
    }
}

/// An access log line's format: an Envoy format string, or JSON with a format string per key.
public enum AccessLogFormat: Sendable, Hashable {
    case text(String)
    case labels([String: String])
}

/// `envoyFileAccessLog`.
public struct FileAccessLogProvider: Sendable, Hashable {
    public var path: String
    /// `logFormat.text` or `logFormat.labels`; nil for Istio's default text format.
    public var format: AccessLogFormat?

    public init(path: String, format: AccessLogFormat? = nil) {
        self.path = path
        self.format = format
    }
}

/// `zipkin`: spans reported to a Zipkin collector, a service of the registry.
public struct ZipkinProvider: Sendable, Hashable {
    /// A registry hostname, or `<namespace>/<name>`.
    public var service: String
    public var port: Int
    public var maxTagLength: Int?
    public var enable64bitTraceID: Bool
    /// The collector's path; `/api/v2/spans` when nil.
    public var path: String?

    public init(
        service: String, port: Int, maxTagLength: Int? = nil, enable64bitTraceID: Bool = false, path: String? = nil
    ) {
        self.service = service
        self.port = port
        self.maxTagLength = maxTagLength
        self.enable64bitTraceID = enable64bitTraceID
        self.path = path
    }
}

/// `opentelemetry`: spans exported as OTLP to a collector of the registry, over gRPC unless `http` is set.
public struct OpenTelemetryTracingProvider: Sendable, Hashable {
    /// A registry hostname, or `<namespace>/<name>`.
    public var service: String
    public var port: Int
    public var maxTagLength: Int?
    /// `http`: export OTLP/HTTP to this path instead of gRPC.
    public var http: HTTPExport?
    /// `grpc.timeout` and `grpc.initialMetadata`, for the gRPC export.
    public var grpcTimeoutSeconds: Double?
    public var grpcInitialMetadata: [HeaderPair]
    /// `resourceDetectors.environment`: add the attributes of `OTEL_RESOURCE_ATTRIBUTES` to every span.
    public var environmentResourceDetector: Bool

    /// `http`: the path, the timeout (Istio's default 3 s when unset) and headers added to every export.
    public struct HTTPExport: Sendable, Hashable {
        public var path: String
        public var timeoutSeconds: Double?
        public var headers: [HeaderPair]

        public init(path: String, timeoutSeconds: Double? = nil, headers: [HeaderPair] = []) {
            self.path = path
            self.timeoutSeconds = timeoutSeconds
            self.headers = headers
        }
    }

    public init(
        service: String, port: Int, maxTagLength: Int? = nil, http: HTTPExport? = nil,
        grpcTimeoutSeconds: Double? = nil, grpcInitialMetadata: [HeaderPair] = [],
        environmentResourceDetector: Bool = false
    ) {
        self.service = service
        self.port = port
        self.maxTagLength = maxTagLength
        self.http = http
        self.grpcTimeoutSeconds = grpcTimeoutSeconds
        self.grpcInitialMetadata = grpcInitialMetadata
        self.environmentResourceDetector = environmentResourceDetector
    }
}

/// A header (or gRPC metadata entry) name and value.
public struct HeaderPair: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// `envoyHttpAls` and `envoyTcpAls`: Envoy's gRPC access log service, a service of the registry. The header lists
/// are read for `envoyHttpAls` only.
public struct GRPCAccessLogProvider: Sendable, Hashable {
    public var service: String
    public var port: Int
    /// `logName`; nil for Istio's default (`http_envoy_accesslog`, `tcp_envoy_accesslog`).
    public var logName: String?
    public var filterStateObjectsToLog: [String]
    public var additionalRequestHeadersToLog: [String]
    public var additionalResponseHeadersToLog: [String]
    public var additionalResponseTrailersToLog: [String]

    public init(
        service: String, port: Int, logName: String? = nil, filterStateObjectsToLog: [String] = [],
        additionalRequestHeadersToLog: [String] = [], additionalResponseHeadersToLog: [String] = [],
        additionalResponseTrailersToLog: [String] = []
    ) {
        self.service = service
        self.port = port
        self.logName = logName
        self.filterStateObjectsToLog = filterStateObjectsToLog
        self.additionalRequestHeadersToLog = additionalRequestHeadersToLog
        self.additionalResponseHeadersToLog = additionalResponseHeadersToLog
        self.additionalResponseTrailersToLog = additionalResponseTrailersToLog
    }
}

/// `envoyOtelAls`: OTLP log records sent over gRPC to a collector of the registry.
public struct OpenTelemetryAccessLogProvider: Sendable, Hashable {
    public var service: String
    public var port: Int
    /// `logName`; nil for Istio's default, `otel_envoy_accesslog`.
    public var logName: String?
    /// `logFormat.text`, the record's body; nil for Istio's default text format.
    public var text: String?
    /// `logFormat.labels`, the record's attributes (format strings by key).
    public var labels: [String: String]

    public init(service: String, port: Int, logName: String? = nil, text: String? = nil, labels: [String: String] = [:]) {
        self.service = service
        self.port = port
        self.logName = logName
        self.text = text
        self.labels = labels
    }
}
