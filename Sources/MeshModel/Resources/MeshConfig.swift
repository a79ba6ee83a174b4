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
        /// A provider of a kind meshd reads but cannot configure Envoy for (tracers, access log services,
        /// `prometheus`): kept by name so a Telemetry naming it is told so, not that it does not exist.
        case unsupported(kind: String)

        /// The mesh config's name for the kind (`envoyFileAccessLog`).
        public var name: String {
            switch self {
            case .envoyExtAuthzHTTP: "envoyExtAuthzHttp"
            case .envoyExtAuthzGRPC: "envoyExtAuthzGrpc"
            case .envoyFileAccessLog: "envoyFileAccessLog"
            case .zipkin: "zipkin"
            case .unsupported(let kind): kind
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
