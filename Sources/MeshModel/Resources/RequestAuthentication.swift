/// Istio `RequestAuthentication` (`security.istio.io` v1 and v1beta1): which JWTs a workload accepts.
///
/// A request with an invalid token (bad signature, expired, wrong issuer or audience) is refused with 401; a
/// request with no token passes, and AuthorizationPolicy decides (`requestPrincipals`, `request.auth.*`).
/// Scope as with AuthorizationPolicy: root namespace, namespace, then `selector` or `targetRef(s)`.
public struct RequestAuthentication: Sendable, Hashable {
    public var meta: ObjectMeta
    public var selector: [String: String]?
    public var targetRefs: [PolicyTargetReference]
    public var jwtRules: [JWTRule]

    public init(
        meta: ObjectMeta, selector: [String: String]? = nil, targetRefs: [PolicyTargetReference] = [],
        jwtRules: [JWTRule] = []
    ) {
        self.meta = meta
        self.selector = selector
        self.targetRefs = targetRefs
        self.jwtRules = jwtRules
    }
}

/// One `jwtRules[]` entry.
public struct JWTRule: Sendable, Hashable {
    public var issuer: String
    public var audiences: [String]
    /// `jwksUri`: meshd fetches it and inlines the key set, as istiod does by default.
    public var jwksURI: String?
    /// `jwks`: an inline JSON Web Key Set.
    public var jwks: String?
    /// `fromHeaders`; empty means Istio's default, `Authorization: Bearer <token>`.
    public var fromHeaders: [JWTHeader]
    /// `fromParams`; empty (with no headers) means the default `access_token` query parameter too.
    public var fromParams: [String]
    public var fromCookies: [String]
    public var outputPayloadToHeader: String?
    public var outputClaimToHeaders: [JWTClaimToHeader]
    public var forwardOriginalToken: Bool
    /// `timeout` in seconds for fetching `jwksUri`; nil means the default.
    public var timeoutSeconds: Double?
    /// `spaceDelimitedClaims`: claims whose string value is split on spaces for matching, besides Istio's built-in
    /// `scope` and `permission`.
    public var spaceDelimitedClaims: [String] = []
    /// `presence`: whether a token must be present (REQUIRED) or may be missing (OPTIONAL, the default when nil).
    public var presence: JWTPresence?

    public init(
        issuer: String, audiences: [String] = [], jwksURI: String? = nil, jwks: String? = nil,
        fromHeaders: [JWTHeader] = [], fromParams: [String] = [], fromCookies: [String] = [],
        outputPayloadToHeader: String? = nil, outputClaimToHeaders: [JWTClaimToHeader] = [],
        forwardOriginalToken: Bool = false, timeoutSeconds: Double? = nil
    ) {
        self.issuer = issuer
        self.audiences = audiences
        self.jwksURI = jwksURI
        self.jwks = jwks
        self.fromHeaders = fromHeaders
        self.fromParams = fromParams
        self.fromCookies = fromCookies
        self.outputPayloadToHeader = outputPayloadToHeader
        self.outputClaimToHeaders = outputClaimToHeaders
        self.forwardOriginalToken = forwardOriginalToken
        self.timeoutSeconds = timeoutSeconds
    }
}

/// `fromHeaders[]`: a header carrying the token, and the prefix before it (e.g. `Bearer `).
public struct JWTHeader: Sendable, Hashable {
    public var name: String
    public var prefix: String

    public init(name: String, prefix: String = "") {
        self.name = name
        self.prefix = prefix
    }
}

/// `outputClaimToHeaders[]`.
public struct JWTClaimToHeader: Sendable, Hashable {
    public var header: String
    public var claim: String

    public init(header: String, claim: String) {
        self.header = header
        self.claim = claim
    }
}

/// `jwtRules[].presence`.
public enum JWTPresence: String, Sendable, Hashable, CaseIterable {
    case unspecified = "PRESENCE_UNSPECIFIED"
    case optional = "OPTIONAL"
    case required = "REQUIRED"
}
