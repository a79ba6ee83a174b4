/// One entry of `spec.http`: match conditions (OR of the blocks) and what to do with a matching request.
///
/// Exactly one of `route`, `redirect`, `directResponse` and `delegate` says where the request goes (validation
/// enforces it); the other fields decorate a forwarded request.
public struct HTTPRoute: Sendable, Hashable {
    public var name: String?
    /// Empty means "match everything".
    public var match: [HTTPMatchRequest]
    public var route: [HTTPRouteDestination]
    public var redirect: HTTPRedirect?
    public var directResponse: HTTPDirectResponse?
    /// Set only on a root VirtualService: the routes come from another VirtualService (one without hosts).
    public var delegate: HTTPDelegate?
    public var rewrite: HTTPRewrite?
    /// nil: no timeout (Istio turns Envoy's 15 s default off).
    public var timeout: Duration?
    /// nil: Istio's default retry policy.
    public var retries: HTTPRetry?
    public var fault: HTTPFaultInjection?
    public var mirror: Destination?
    /// Share (0-100) of requests `mirror` copies; nil means all of them.
    public var mirrorPercentage: Double?
    public var mirrors: [HTTPMirrorPolicy]
    public var corsPolicy: CORSPolicy?
    public var headers: HeaderOperations?

    public init(
        name: String? = nil, match: [HTTPMatchRequest] = [], route: [HTTPRouteDestination] = [],
        redirect: HTTPRedirect? = nil, directResponse: HTTPDirectResponse? = nil, delegate: HTTPDelegate? = nil,
        rewrite: HTTPRewrite? = nil, timeout: Duration? = nil, retries: HTTPRetry? = nil,
        fault: HTTPFaultInjection? = nil, mirror: Destination? = nil, mirrorPercentage: Double? = nil,
        mirrors: [HTTPMirrorPolicy] = [], corsPolicy: CORSPolicy? = nil, headers: HeaderOperations? = nil
    ) {
        self.name = name
        self.match = match
        self.route = route
        self.redirect = redirect
        self.directResponse = directResponse
        self.delegate = delegate
        self.rewrite = rewrite
        self.timeout = timeout
        self.retries = retries
        self.fault = fault
        self.mirror = mirror
        self.mirrorPercentage = mirrorPercentage
        self.mirrors = mirrors
        self.corsPolicy = corsPolicy
        self.headers = headers
    }
}

/// One match block: every condition inside must hold (AND).
public struct HTTPMatchRequest: Sendable, Hashable {
    public var name: String?
    public var uri: StringMatch?
    public var scheme: StringMatch?
    public var method: StringMatch?
    public var authority: StringMatch?
    /// Header name (lower-cased on decode) -> match; `.any` means "present".
    public var headers: [String: StringMatch]
    /// Headers that must NOT match (Envoy's `invert_match`).
    public var withoutHeaders: [String: StringMatch]
    public var queryParams: [String: StringMatch]
    public var ignoreUriCase: Bool
    /// The route only exists in the route configuration of this port.
    public var port: Int?
    /// The route only exists for client proxies carrying all these labels.
    public var sourceLabels: [String: String]
    /// The route only exists for client proxies in this namespace.
    public var sourceNamespace: String?
    /// Gateways (or `mesh`) this block applies to; empty inherits the VirtualService's `gateways`.
    public var gateways: [String]
    /// The route's stats prefix (Envoy `stat_prefix`).
    public var statPrefix: String?

    public init(
        name: String? = nil, uri: StringMatch? = nil, scheme: StringMatch? = nil, method: StringMatch? = nil,
        authority: StringMatch? = nil, headers: [String: StringMatch] = [:],
        withoutHeaders: [String: StringMatch] = [:], queryParams: [String: StringMatch] = [:],
        ignoreUriCase: Bool = false, port: Int? = nil, sourceLabels: [String: String] = [:],
        sourceNamespace: String? = nil, gateways: [String] = [], statPrefix: String? = nil
    ) {
        self.name = name
        self.uri = uri
        self.scheme = scheme
        self.method = method
        self.authority = authority
        self.headers = headers
        self.withoutHeaders = withoutHeaders
        self.queryParams = queryParams
        self.ignoreUriCase = ignoreUriCase
        self.port = port
        self.sourceLabels = sourceLabels
        self.sourceNamespace = sourceNamespace
        self.gateways = gateways
        self.statPrefix = statPrefix
    }
}

/// A destination with its share of traffic. A single destination without weight gets 100.
public struct HTTPRouteDestination: Sendable, Hashable {
    public var destination: Destination
    public var weight: Int
    /// Header operations applied only when this destination is picked.
    public var headers: HeaderOperations?

    public init(destination: Destination, weight: Int, headers: HeaderOperations? = nil) {
        self.destination = destination
        self.weight = weight
        self.headers = headers
    }
}

/// `headers`: request and response manipulation.
public struct HeaderOperations: Sendable, Hashable {
    public var request: Operations
    public var response: Operations

    /// `set` overwrites, `add` appends, `remove` deletes.
    public struct Operations: Sendable, Hashable {
        public var set: [String: String]
        public var add: [String: String]
        public var remove: [String]

        public init(set: [String: String] = [:], add: [String: String] = [:], remove: [String] = []) {
            self.set = set
            self.add = add
            self.remove = remove
        }
    }

    public init(request: Operations = Operations(), response: Operations = Operations()) {
        self.request = request
        self.response = response
    }
}

/// `redirect`: answer with a 3xx and a Location built from these parts.
public struct HTTPRedirect: Sendable, Hashable {
    /// Istio's `derivePort`.
    public enum DerivePort: String, Sendable, Hashable {
        case fromProtocolDefault = "FROM_PROTOCOL_DEFAULT"
        case fromRequestPort = "FROM_REQUEST_PORT"
    }

    public var uri: String?
    public var authority: String?
    public var port: Int?
    public var derivePort: DerivePort?
    public var scheme: String?
    /// nil: 301.
    public var redirectCode: Int?

    public init(
        uri: String? = nil, authority: String? = nil, port: Int? = nil, derivePort: DerivePort? = nil,
        scheme: String? = nil, redirectCode: Int? = nil
    ) {
        self.uri = uri
        self.authority = authority
        self.port = port
        self.derivePort = derivePort
        self.scheme = scheme
        self.redirectCode = redirectCode
    }
}

/// `directResponse`: answer with a fixed status and optional body.
public struct HTTPDirectResponse: Sendable, Hashable {
    public enum Body: Sendable, Hashable {
        case string(String)
        /// Decoded from base64, as protobuf JSON writes bytes.
        case bytes([UInt8])
    }

    public var status: Int
    public var body: Body?

    public init(status: Int, body: Body? = nil) {
        self.status = status
        self.body = body
    }
}

/// `delegate`: the VirtualService (without hosts) whose routes replace this one.
public struct HTTPDelegate: Sendable, Hashable {
    public var name: String
    /// nil: the root VirtualService's namespace.
    public var namespace: String?

    public init(name: String, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}

/// `rewrite`: change the path or the Host before forwarding.
public struct HTTPRewrite: Sendable, Hashable {
    /// Replaces the matched prefix (or the whole path for an exact match).
    public var uri: String?
    public var authority: String?
    public var uriRegexRewrite: RegexRewrite?

    public struct RegexRewrite: Sendable, Hashable {
        public var match: String
        public var rewrite: String

        public init(match: String, rewrite: String) {
            self.match = match
            self.rewrite = rewrite
        }
    }

    public init(uri: String? = nil, authority: String? = nil, uriRegexRewrite: RegexRewrite? = nil) {
        self.uri = uri
        self.authority = authority
        self.uriRegexRewrite = uriRegexRewrite
    }
}

/// `retries`. `attempts: 0` turns retries off.
public struct HTTPRetry: Sendable, Hashable {
    public var attempts: Int
    public var perTryTimeout: Duration?
    /// Envoy `retry_on` conditions and HTTP status codes, comma-separated, as written.
    public var retryOn: String?
    public var retryRemoteLocalities: Bool?
    public var retryIgnorePreviousHosts: Bool?
    public var backoff: Duration?

    public init(
        attempts: Int, perTryTimeout: Duration? = nil, retryOn: String? = nil,
        retryRemoteLocalities: Bool? = nil, retryIgnorePreviousHosts: Bool? = nil, backoff: Duration? = nil
    ) {
        self.attempts = attempts
        self.perTryTimeout = perTryTimeout
        self.retryOn = retryOn
        self.retryRemoteLocalities = retryRemoteLocalities
        self.retryIgnorePreviousHosts = retryIgnorePreviousHosts
        self.backoff = backoff
    }
}

/// `fault`: delays and aborts injected on the client side.
public struct HTTPFaultInjection: Sendable, Hashable {
    public struct Delay: Sendable, Hashable {
        public var fixedDelay: Duration?
        /// Istio refuses it ("not supported yet"); kept so validation can say so.
        public var exponentialDelay: Duration?
        /// Share (0-100); nil means no request is delayed, as in Istio.
        public var percentage: Double?

        public init(fixedDelay: Duration? = nil, exponentialDelay: Duration? = nil, percentage: Double? = nil) {
            self.fixedDelay = fixedDelay
            self.exponentialDelay = exponentialDelay
            self.percentage = percentage
        }
    }

    public struct Abort: Sendable, Hashable {
        public enum ErrorType: Sendable, Hashable {
            case httpStatus(Int)
            /// A gRPC status name such as `UNAVAILABLE`.
            case grpcStatus(String)
            /// Istio refuses it ("not supported yet").
            case http2Error(String)
        }

        public var error: ErrorType?
        /// Share (0-100); nil means no request is aborted, as in Istio.
        public var percentage: Double?

        public init(error: ErrorType? = nil, percentage: Double? = nil) {
            self.error = error
            self.percentage = percentage
        }
    }

    public var delay: Delay?
    public var abort: Abort?

    public init(delay: Delay? = nil, abort: Abort? = nil) {
        self.delay = delay
        self.abort = abort
    }
}

/// One entry of `mirrors`.
public struct HTTPMirrorPolicy: Sendable, Hashable {
    public var destination: Destination
    /// nil: all requests.
    public var percentage: Double?

    public init(destination: Destination, percentage: Double? = nil) {
        self.destination = destination
        self.percentage = percentage
    }
}

/// `corsPolicy`.
public struct CORSPolicy: Sendable, Hashable {
    /// Istio's `unmatchedPreflights`.
    public enum UnmatchedPreflights: String, Sendable, Hashable {
        case unspecified = "UNSPECIFIED"
        case forward = "FORWARD"
        case ignore = "IGNORE"
    }

    /// `allowOrigins`, or the deprecated `allowOrigin` as exact matches.
    public var allowOrigins: [StringMatch]
    public var allowMethods: [String]
    public var allowHeaders: [String]
    public var exposeHeaders: [String]
    public var maxAge: Duration?
    public var allowCredentials: Bool?
    public var unmatchedPreflights: UnmatchedPreflights

    public init(
        allowOrigins: [StringMatch] = [], allowMethods: [String] = [], allowHeaders: [String] = [],
        exposeHeaders: [String] = [], maxAge: Duration? = nil, allowCredentials: Bool? = nil,
        unmatchedPreflights: UnmatchedPreflights = .unspecified
    ) {
        self.allowOrigins = allowOrigins
        self.allowMethods = allowMethods
        self.allowHeaders = allowHeaders
        self.exposeHeaders = exposeHeaders
        self.maxAge = maxAge
        self.allowCredentials = allowCredentials
        self.unmatchedPreflights = unmatchedPreflights
    }
}
