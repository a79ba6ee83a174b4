/// Istio `AuthorizationPolicy` (`security.istio.io` v1 and v1beta1): access control on a workload's inbound side
/// or a gateway.
///
/// Scope follows from where it lives, as with PeerAuthentication: in the root namespace without a selector it
/// applies mesh-wide, elsewhere without a selector to its namespace, and with `selector.matchLabels` (or
/// `targetRef`/`targetRefs`) to the matching workloads of its namespace.
///
/// Evaluation order is istiod's: CUSTOM, then DENY, then ALLOW. Once any ALLOW policy applies to a workload, a
/// request that no ALLOW rule matches is denied. An ALLOW policy with no rules (`spec: {}`) allows nothing; a rule
/// with no `from`, `to` or `when` (`rules: [{}]`) matches every request.
public struct AuthorizationPolicy: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `selector.matchLabels`; nil when the policy has no selector.
    public var selector: [String: String]?
    /// `targetRef` and `targetRefs`, in that order (at most one of them is set on a valid policy).
    public var targetRefs: [PolicyTargetReference]
    public var action: AuthorizationAction
    /// `provider.name`, for CUSTOM: the name of a mesh config extension provider.
    public var provider: String?
    public var rules: [AuthorizationRule]
    /// The `istio.io/dry-run: "true"` annotation: rules become shadow rules, counted but never enforced.
    public var dryRun: Bool
    /// True when `rules` was written (even as `[]`); istiod tells `spec: {}` (no rules) from `rules: []` only for
    /// validation (DENY and CUSTOM without `rules` are refused). Both allow nothing under ALLOW.
    public var rulesPresent: Bool = false

    public init(
        meta: ObjectMeta, selector: [String: String]? = nil, targetRefs: [PolicyTargetReference] = [],
        action: AuthorizationAction = .allow, provider: String? = nil, rules: [AuthorizationRule] = [],
        dryRun: Bool = false
    ) {
        self.meta = meta
        self.selector = selector
        self.targetRefs = targetRefs
        self.action = action
        self.provider = provider
        self.rules = rules
        self.dryRun = dryRun
    }
}

/// `action` of an AuthorizationPolicy.
public enum AuthorizationAction: String, Sendable, Hashable, CaseIterable {
    case allow = "ALLOW"
    case deny = "DENY"
    case audit = "AUDIT"
    case custom = "CUSTOM"
}

/// One entry of `rules`: it matches a request when any `from` matches, any `to` matches and every `when` holds
/// (an absent list matches everything).
public struct AuthorizationRule: Sendable, Hashable {
    /// `from[].source`.
    public var from: [AuthorizationSource]
    /// `to[].operation`.
    public var to: [AuthorizationOperation]
    public var when: [AuthorizationCondition]

    public init(
        from: [AuthorizationSource] = [], to: [AuthorizationOperation] = [], when: [AuthorizationCondition] = []
    ) {
        self.from = from
        self.to = to
        self.when = when
    }
}

/// `from[].source`: every non-empty field must match (AND); within a field any value matches (OR).
public struct AuthorizationSource: Sendable, Hashable {
    public var principals: [String] = []
    public var notPrincipals: [String] = []
    public var requestPrincipals: [String] = []
    public var notRequestPrincipals: [String] = []
    public var namespaces: [String] = []
    public var notNamespaces: [String] = []
    public var serviceAccounts: [String] = []
    public var notServiceAccounts: [String] = []
    public var ipBlocks: [String] = []
    public var notIpBlocks: [String] = []
    public var remoteIpBlocks: [String] = []
    public var notRemoteIpBlocks: [String] = []
    /// `trustDomains` / `notTrustDomains` (newer Istio API): the trust domain of the peer's mTLS identity.
    public var trustDomains: [String] = []
    public var notTrustDomains: [String] = []

    public init() {}
}

/// `to[].operation`: every non-empty field must match (AND); within a field any value matches (OR).
public struct AuthorizationOperation: Sendable, Hashable {
    public var hosts: [String] = []
    public var notHosts: [String] = []
    /// Ports as written (strings in Istio's API).
    public var ports: [String] = []
    public var notPorts: [String] = []
    public var methods: [String] = []
    public var notMethods: [String] = []
    public var paths: [String] = []
    public var notPaths: [String] = []

    public init() {}
}

/// `when[]`: `key` with `values` (any matches) and `notValues` (none may match).
public struct AuthorizationCondition: Sendable, Hashable {
    public var key: String
    public var values: [String]
    public var notValues: [String]

    public init(key: String, values: [String] = [], notValues: [String] = []) {
        self.key = key
        self.values = values
        self.notValues = notValues
    }
}

/// `targetRef` / `targetRefs[]` of a policy (Istio's `PolicyTargetReference`).
public struct PolicyTargetReference: Sendable, Hashable {
    public var group: String
    public var kind: String
    public var name: String
    /// Must be empty or the policy's own namespace.
    public var namespace: String?

    public init(group: String = "", kind: String, name: String, namespace: String? = nil) {
        self.group = group
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}
