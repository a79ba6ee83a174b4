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
