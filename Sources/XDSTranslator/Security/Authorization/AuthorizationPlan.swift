import EnvoyAPI
import MeshModel

typealias HTTPFilter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter
typealias NetworkFilter = Envoy_Config_Listener_V3_Filter

/// The security filters of one proxy, from the AuthorizationPolicies and RequestAuthentications that select it (by
/// its namespace and labels), in istiod's order:
/// - HTTP: jwt_authn, then for CUSTOM a shadow RBAC filter and ext_authz, then RBAC for AUDIT (action LOG), DENY and
///   ALLOW; dry-run policies are shadow rules of their action's filter;
/// - TCP: network RBAC (CUSTOM with network ext_authz for gRPC providers, AUDIT, DENY, ALLOW), rules built for TCP.
/// Computed once per generation of a listener set; a value, shared by every chain of the proxy.
struct AuthorizationPlan: Sendable {
    let policies: [AuthorizationPolicy]
    let requestAuthentications: [RequestAuthentication]
    let httpFilters: [HTTPFilter]
    let networkFilters: [NetworkFilter]
    /// What could not be translated exactly, and how it was made to fail closed.
    let warnings: [String]

    static let empty = AuthorizationPlan(
        policies: [], requestAuthentications: [], httpFilters: [], networkFilters: [], warnings: [])

    var isEmpty: Bool { httpFilters.isEmpty && networkFilters.isEmpty }

    /// The AuthorizationPolicies and RequestAuthentications whose filters the plan holds: the sources of every
    /// listener it is put on. None when it puts no filter anywhere.
    var sources: [ResourceKey] {
        guard !isEmpty else { return [] }
        return policies.map(\.sourceKey) + requestAuthentications.map(\.sourceKey)
    }

    static func of(_ context: GenerationContext<ListenerInputs>) -> AuthorizationPlan {
        let labels = context.inputs.workloadLabels
        let namespace = context.inputs.namespace
        let policies = context.snapshot.authorizationPolicies(namespace: namespace, labels: labels)
        let requestAuthentications = context.snapshot.requestAuthentications(namespace: namespace, labels: labels)
        guard !policies.isEmpty || !requestAuthentications.isEmpty else { return .empty }
        var warnings: [String] = []
        var http: [HTTPFilter] = []
        if let jwt = JWTAuthenticationFilter.filter(
            requestAuthentications, fetchedJWKS: context.snapshot.fetchedJWKS, warnings: &warnings)
        {
            http.append(jwt)
        }
        let trustDomains = TrustDomainBundle(context.snapshot.meshConfig)
        let claims = JWTAuthenticationFilter.spaceDelimitedClaims(of: requestAuthentications)
        var custom = CustomAuthorization(policies: policies.filter { $0.action == .custom }, snapshot: context.snapshot)
        custom.spaceDelimitedClaims = claims
        http += custom.httpFilters(trustDomains: trustDomains, warnings: &warnings)
        http += rbacFilters(
            policies, trustDomains: trustDomains, forTCP: false, spaceDelimitedClaims: claims, warnings: &warnings
        ).map(\.http)
        var tcpWarnings: [String] = []
        var network = custom.networkFilters(trustDomains: trustDomains, warnings: &tcpWarnings)
        network += rbacFilters(
            policies, trustDomains: trustDomains, forTCP: true, spaceDelimitedClaims: claims, warnings: &tcpWarnings
        ).map(\.network)
        // TCP warnings repeat the HTTP ones for shared causes; keep those that say something new.
        warnings += tcpWarnings.filter { !warnings.contains($0) }
        return AuthorizationPlan(
            policies: policies, requestAuthentications: requestAuthentications, httpFilters: http,
            networkFilters: network, warnings: warnings)
    }

    /// A built RBAC filter in both of its forms (only one is used, by the chain kind it was built for).
    struct RBACFilter {
        let http: HTTPFilter
        let network: NetworkFilter
    }

    /// AUDIT (LOG), DENY and ALLOW, each one filter holding its enforced and shadow rules.
    static func rbacFilters(
        _ policies: [AuthorizationPolicy], trustDomains: TrustDomainBundle, forTCP: Bool,
        spaceDelimitedClaims: Set<String> = JWTAuthenticationFilter.defaultSpaceDelimitedClaims,
        warnings: inout [String]
    ) -> [RBACFilter] {
        var builder = AuthorizationRBACBuilder(trustDomains: trustDomains, forTCP: forTCP)
        builder.spaceDelimitedClaims = spaceDelimitedClaims
        let actions: [(AuthorizationAction, RBACRules.Action)] = [(.audit, .log), (.deny, .deny), (.allow, .allow)]
        return actions.compactMap { action, rbacAction in
            let selected = policies.filter { $0.action == action }
            guard let built = builder.build(selected, action: rbacAction, warnings: &warnings) else { return nil }
            return rbacFilter(built, action: rbacAction)
        }
    }

    static func rbacFilter(_ built: BuiltRBAC, action: RBACRules.Action, shadowPrefix: String? = nil) -> RBACFilter {
        let prefix = shadowPrefix ?? AuthorizationRBACBuilder.shadowStatPrefix(action)
        var http = Envoy_Extensions_Filters_Http_Rbac_V3_RBAC()
        var network = Envoy_Extensions_Filters_Network_Rbac_V3_RBAC()
        network.statPrefix = "tcp."
        if let rules = built.rules {
            http.rules = rules
            network.rules = rules
        }
        // AUDIT (LOG) never denies, so its plain `allowed` count says nothing; per-policy stats count each match
        // (`http.<prefix>.rbac.istio_audit_.policy.<name>.allowed`). istio-proxy's audit logging does not exist upstream.
        if action == .log {
            http.rulesStatPrefix = "istio_audit_"
            http.trackPerRuleStats = true
        }
        if let shadow = built.shadowRules {
            http.shadowRules = shadow
            http.shadowRulesStatPrefix = prefix
            network.shadowRules = shadow
            network.shadowRulesStatPrefix = prefix
        }
        var httpFilter = HTTPFilter()
        httpFilter.name = "envoy.filters.http.rbac"
        httpFilter.typedConfig = packAny(http)
        var networkFilter = NetworkFilter()
        networkFilter.name = "envoy.filters.network.rbac"
        networkFilter.typedConfig = packAny(network)
        return RBACFilter(http: httpFilter, network: networkFilter)
    }
}
