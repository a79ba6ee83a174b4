import AuthzSimulator
import Discovery
import EnvoyAPI
import MeshModel
import XDSTranslator

/// `/debug/authorizationz?proxyID=`: the policies that apply to one proxy (in istiod's order, with their files), and
/// what they became in its listeners: every jwt_authn, RBAC and ext_authz filter per listener and filter chain, with
/// the RBAC policy names, actions and dry-run (shadow) rules.
struct AuthorizationJSON: Encodable {
    struct Policy: Encodable {
        var kind: String
        var namespace: String
        var name: String
        var action: String?
        var provider: String?
        var dryRun: Bool?
        var rules: Int?
        var jwtRules: [String]?
        var source: String?
    }

    struct Filter: Encodable {
        var listener: String
        var filterChain: String
        var filter: String
        var index: Int
        var action: String?
        var policies: [String]
        var shadowAction: String?
        var shadowPolicies: [String]
        var providers: [String]?
    }

    var proxy: String
    var snapshotVersion: String
    var posture: String
    var policies: [Policy]
    var filters: [Filter]
    var jwks: [JWKS]

    struct JWKS: Encodable {
        var uri: String
        var state: String
    }

    init(proxy: Proxy, snapshot: MeshSnapshot, settings: TranslatorSettings) {
        self.proxy = proxy.id
        snapshotVersion = snapshot.version
        let labels = snapshot.policyLabels(of: proxy)
        posture = AuthorizationSummary.posture(snapshot, namespace: proxy.namespace, labels: labels).rawValue
        let sources = Self.sources(snapshot)
        var policies: [Policy] = snapshot.authorizationPolicies(namespace: proxy.namespace, labels: labels).map {
            policy in
            Policy(
                kind: "AuthorizationPolicy", namespace: policy.meta.namespace, name: policy.meta.name,
                action: policy.action.rawValue,
                provider: policy.provider, dryRun: policy.dryRun, rules: policy.rules.count,
                source: sources["AuthorizationPolicy/\(policy.meta.namespace)/\(policy.meta.name)"])
        }
        var jwks: [JWKS] = []
        for policy in snapshot.requestAuthentications(namespace: proxy.namespace, labels: labels) {
            policies.append(
                Policy(
                    kind: "RequestAuthentication", namespace: policy.meta.namespace, name: policy.meta.name,
                    jwtRules: policy.jwtRules.map { rule in
                        let keys =
                            rule.jwks.map { _ in "inline jwks" } ?? rule.jwksURI.map { "jwksUri \($0)" } ?? "no keys"
                        return "issuer \(rule.issuer) (\(keys))"
                    },
                    source: sources["RequestAuthentication/\(policy.meta.namespace)/\(policy.meta.name)"]))
            for rule in policy.jwtRules where rule.jwks?.isEmpty ?? true {
                guard let uri = rule.jwksURI else { continue }
                let state =
                    snapshot.fetchedJWKS[uri].map { "fetched (\($0.utf8.count) bytes)" }
                    ?? "not fetched: every token of \(rule.issuer) is rejected"
                jwks.append(JWKS(uri: uri, state: state))
            }
        }
        self.policies = policies
        self.jwks = jwks
        let translator = XDSTranslator(settings: settings)
        let listeners = translator.generateMessages(typeURL: TypeURL.listener, snapshot: snapshot, proxy: proxy)
            .compactMap { $0.message as? Envoy_Config_Listener_V3_Listener }
        filters = AuthorizationSummary(listeners: listeners).filters.map { row in
            Filter(
                listener: row.listener, filterChain: row.filterChain, filter: row.name, index: row.index,
                action: row.action,
                policies: row.policies, shadowAction: row.shadowAction, shadowPolicies: row.shadowPolicies,
                providers: row.providers.isEmpty ? nil : row.providers)
        }
    }

    /// `Kind/namespace/name` → `file:line` for the security kinds.
    static func sources(_ snapshot: MeshSnapshot) -> [String: String] {
        var sources: [String: String] = [:]
        for object in snapshot.objects.values
        where object.key.kind.rawValue == "AuthorizationPolicy" || object.key.kind.rawValue == "RequestAuthentication" {
            sources["\(object.key.kind.rawValue)/\(object.key.namespace)/\(object.key.name)"] =
                object.source.description
        }
        return sources
    }
}
