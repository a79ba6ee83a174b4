public import MeshModel

/// What went into a proxy's authorization config: for `/debug/authorizationz`, NACK explanations and the status
/// page. Computed by the same code the listener generator runs, so it names exactly the policies that shaped LDS.
public struct AuthorizationInputs: Sendable, Hashable {
    /// One policy object: `AuthorizationPolicy` or `RequestAuthentication`, namespace and name.
    public struct PolicyReference: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var kind: String
        public var namespace: String
        public var name: String

        public var description: String { "\(kind)/\(namespace)/\(name)" }

        public static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.kind, lhs.namespace, lhs.name) < (rhs.kind, rhs.namespace, rhs.name)
        }
    }

    /// What the proxy enforces for a request no policy names.
    public enum Posture: String, Sendable, Hashable {
        /// No enforced ALLOW policy: requests not denied are allowed.
        case open
        /// Enforced ALLOW policies exist, and at least one of their rules can match.
        case allowSome = "allow-some"
        /// Enforced ALLOW policies exist, and none has a rule (`spec: {}`): every request is denied.
        case defaultDeny = "default-deny"
    }

    /// The AuthorizationPolicies that apply, in istiod's order (root namespace, namespace-wide, selected).
    public var authorizationPolicies: [PolicyReference]
    public var requestAuthentications: [PolicyReference]
    /// The listeners that carry the filters: `virtualInbound` for a sidecar, the gateway listeners for a router.
    public var listeners: [String]
    /// The Envoy filter names in the HTTP chains, in order (jwt_authn, rbac, ext_authz...).
    public var httpFilterNames: [String]
    public var networkFilterNames: [String]
    public var posture: Posture
    /// What could not be translated exactly, and how it was made to fail closed (name, field, reason).
    public var warnings: [String]

    /// Every policy, AuthorizationPolicies first.
    public var all: [PolicyReference] { authorizationPolicies + requestAuthentications }
}

extension XDSTranslator {
    /// What authorization lost in translation for `proxy`, and how it was made to fail closed: the warnings of
    /// `authorizationInputs`, from the policy plan alone (no listener is generated).
    public func authorizationWarnings(snapshot: MeshSnapshot, proxy: Proxy) -> [String] {
        authorizationWarnings(ProxyInputsIndex(snapshot).listenerInputs(of: proxy), snapshot: snapshot)
    }

    /// The warnings of `authorizationWarnings(snapshot:proxy:)` for a proxy with these listener inputs.
    public func authorizationWarnings(_ inputs: ListenerInputs, snapshot: MeshSnapshot) -> [String] {
        AuthorizationPlan.of(GenerationContext(snapshot: snapshot, inputs: inputs, settings: settings)).warnings
    }

    /// The authorization inputs of `proxy` under `snapshot`: which policies its listeners enforce and what was lost.
    public func authorizationInputs(snapshot: MeshSnapshot, proxy: Proxy) -> AuthorizationInputs {
        let inputs = ProxyInputsIndex(snapshot).listenerInputs(of: proxy)
        let context = GenerationContext(snapshot: snapshot, inputs: inputs, settings: settings)
        let plan = AuthorizationPlan.of(context)
        let listeners: [String]
        if plan.isEmpty {
            listeners = []
        } else if proxy.kind == .router {
            listeners = GatewayListeners.resources(for: context).map(\.name)
        } else {
            listeners = ["virtualInbound"]
        }
        let allow = plan.policies.filter { $0.action == .allow && !$0.dryRun }
        let posture: AuthorizationInputs.Posture =
            allow.isEmpty ? .open : allow.allSatisfy(\.rules.isEmpty) ? .defaultDeny : .allowSome
        return AuthorizationInputs(
            authorizationPolicies: plan.policies.map {
                .init(kind: "AuthorizationPolicy", namespace: $0.meta.namespace, name: $0.meta.name)
            },
            requestAuthentications: plan.requestAuthentications.map {
                .init(kind: "RequestAuthentication", namespace: $0.meta.namespace, name: $0.meta.name)
            },
            listeners: listeners,
            httpFilterNames: plan.httpFilters.map(\.name),
            networkFilterNames: plan.networkFilters.map(\.name),
            posture: posture,
            warnings: plan.warnings)
    }
}
