import EnvoyAPI
import MeshModel

/// CUSTOM policies as istiod builds them: an RBAC filter whose shadow rules (never enforced) are the CUSTOM rules,
/// named `istio-ext-authz-<provider>-ns[..]-policy[..]-rule[..]`, then ext_authz enabled only when that filter
/// recorded such a name, so only requests a CUSTOM rule matches are sent to the authorization service.
///
/// Fail closed, as istiod: when the provider is not in the mesh config, cannot be resolved to a registry service,
/// or the workload's CUSTOM policies name more than one provider, the CUSTOM rules become enforced DENY rules (every
/// request they match is refused). Dry-run CUSTOM policies are shadow rules of their own RBAC filter (stats
/// `istio_dry_run_custom_shadow_*`), never sent to ext_authz and never enforced.
struct CustomAuthorization: Sendable {
    let policies: [AuthorizationPolicy]
    let snapshot: MeshSnapshot
    /// See `ConditionTranslator.spaceDelimitedClaims`.
    var spaceDelimitedClaims: Set<String> = JWTAuthenticationFilter.defaultSpaceDelimitedClaims

    static let badProviderSuffix = "-deny-due-to-bad-CUSTOM-action"

    private var enforced: [AuthorizationPolicy] { policies.filter { !$0.dryRun } }
    private var dryRun: [AuthorizationPolicy] { policies.filter(\.dryRun) }
    private var providerNames: [String] { Set(enforced.map { $0.provider ?? "" }).sorted() }

    /// The provider of the enforced CUSTOM policies, or why there is none that can be used.
    private func resolvedProvider() -> Result<ResolvedExtAuthz, ConditionFailure>? {
        let names = providerNames
        guard let name = names.first else { return nil }
        guard names.count == 1 else {
            return .failure(
                .init(
                    key: "provider.name", value: names.joined(separator: ", "),
                    reason: "a workload's CUSTOM policies must all use one provider"))
        }
        guard let provider = snapshot.meshConfig.extensionProvider(named: name) else {
            let known = snapshot.meshConfig.extensionProviders.map(\.name).sorted().joined(separator: ", ")
            return .failure(
                .init(
                    key: "provider.name", value: name,
                    reason: "no such extension provider in the mesh config (known: [\(known)])"))
        }
        return ResolvedExtAuthz.resolve(provider, in: snapshot)
    }

    private func warn(_ failure: ConditionFailure, chain: String, warnings: inout [String]) {
        let names = enforced.map { "\($0.meta.namespace)/\($0.meta.name)" }.joined(separator: ", ")
        warnings.append(
            "CUSTOM AuthorizationPolicy [\(names)]: \(failure.description); on \(chain) chains every request these rules match is denied"
        )
    }

    func httpFilters(trustDomains: TrustDomainBundle, warnings: inout [String]) -> [HTTPFilter] {
        filters(trustDomains: trustDomains, forTCP: false, warnings: &warnings)
    }

    func networkFilters(trustDomains: TrustDomainBundle, warnings: inout [String]) -> [NetworkFilter] {
        filters(trustDomains: trustDomains, forTCP: true, warnings: &warnings)
    }

    /// Returns `[HTTPFilter]` or `[NetworkFilter]` by `forTCP`; built once, so both kinds follow the same rules.
    private func filters<Filter>(trustDomains: TrustDomainBundle, forTCP: Bool, warnings: inout [String]) -> [Filter] {
        var builder = AuthorizationRBACBuilder(trustDomains: trustDomains, forTCP: forTCP)
        builder.spaceDelimitedClaims = spaceDelimitedClaims
        let pick = { (filter: AuthorizationPlan.RBACFilter) -> Filter? in
            (forTCP ? filter.network as Any : filter.http as Any) as? Filter
        }
        var out: [Filter] = []
        if let resolved = resolvedProvider() {
            let prefix = { (policy: AuthorizationPolicy) in
                ResolvedExtAuthz.policyPrefix(provider: policy.provider ?? "")
            }
            var ignored: [String] = []
            let built = builder.build(enforced, action: .deny, namePrefix: prefix, warnings: &ignored)
            warnings += ignored
            switch resolved {
            case .failure(let failure):
                warn(failure, chain: forTCP ? "TCP" : "HTTP", warnings: &warnings)
                if var rules = built?.rules {
                    rules.policies = Dictionary(
                        uniqueKeysWithValues: rules.policies.map { ($0.key + Self.badProviderSuffix, $0.value) })
                    if let filter = pick(AuthorizationPlan.rbacFilter(BuiltRBAC(rules: rules), action: .deny)) {
                        out.append(filter)
                    }
                }
            case .success(let provider):
                if forTCP && provider.networkFilter == nil {
                    warnings.append(
                        "CUSTOM provider \(provider.provider.name) is an HTTP ext_authz service; as istiod, it is not applied on TCP chains"
                    )
                } else if let rules = built?.rules {
                    let shadowOnly = BuiltRBAC(rules: nil, shadowRules: rules)
                    if let filter = pick(
                        AuthorizationPlan.rbacFilter(
                            shadowOnly, action: .deny, shadowPrefix: ResolvedExtAuthz.shadowStatPrefix))
                    {
                        out.append(filter)
                    }
                    let extAuthz: Any? = forTCP ? provider.networkFilter : provider.httpFilter
                    if let filter = extAuthz as? Filter { out.append(filter) }
                }
            }
        }
        var ignored: [String] = []
        if let built = builder.build(dryRun, action: .deny, warnings: &ignored), let shadow = built.shadowRules {
            warnings += ignored
            let shadowOnly = BuiltRBAC(rules: nil, shadowRules: shadow)
            if let filter = pick(
                AuthorizationPlan.rbacFilter(shadowOnly, action: .deny, shadowPrefix: "istio_dry_run_custom_"))
            {
                out.append(filter)
            }
        }
        return out
    }
}
