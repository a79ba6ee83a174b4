import MeshModel
import Testing

/// One refusal: a policy spec, and the field path and reason istiod's webhook (or the CRD) gives.
struct PolicyRefusal: Sendable, CustomTestStringConvertible {
    var kind: String
    var spec: String
    var path: String
    var reason: String

    var testDescription: String { "\(kind) \(path): \(reason)" }

    static func authz(_ spec: String, _ path: String, _ reason: String) -> Self {
        Self(kind: "AuthorizationPolicy", spec: spec, path: path, reason: reason)
    }

    static func jwt(_ rule: String, _ path: String, _ reason: String) -> Self {
        Self(kind: "RequestAuthentication", spec: "jwtRules:\n- \(rule)", path: path, reason: reason)
    }

    static func request(_ spec: String, _ path: String, _ reason: String) -> Self {
        Self(kind: "RequestAuthentication", spec: spec, path: path, reason: reason)
    }

    var yaml: String {
        let indented = spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(
            separator: "\n")
        return
            "apiVersion: security.istio.io/v1\nkind: \(kind)\nmetadata: {name: p, namespace: shop}\nspec:\n\(indented)\n"
    }
}

/// Every validation rule of AuthorizationPolicy and RequestAuthentication refuses the object, naming it, the field
/// path and istiod's reason; the valid neighbour of each rule is accepted.
@Suite("Security policy validation")
struct SecurityPolicyValidationTests {
    static let authorizationRefusals: [PolicyRefusal] = [
        .authz("action: PERMIT", "spec.action", "unknown action \"PERMIT\""),
        .authz(
            "selector: {matchLabels: {app: \"*\"}}", "spec.selector.matchLabels",
            "wildcard is not supported in selector"),
        .authz(
            "selector: {matchLabels: {app: a}}\ntargetRef: {kind: Service, name: a}", "spec.targetRef",
            "only one of targetRefs or selector"),
        .authz(
            "targetRef: {kind: Service, name: a}\ntargetRefs: [{kind: Service, name: b}]", "spec.targetRef",
            "only one of targetRefs or selector"),
        .authz("targetRef: {kind: Service}", "spec.targetRef.name", "targetRef name must be set"),
        .authz(
            "targetRef: {kind: Service, name: a, namespace: other}", "spec.targetRef.namespace",
            "cross namespace referencing is not supported"),
        .authz(
            "targetRefs: [{kind: Deployment, group: apps, name: a}]", "spec.targetRefs[0]",
            "targetRef must be to one of"),
        .authz("action: DENY", "spec.rules", "DENY action without `rules` is meaningless"),
        .authz("action: CUSTOM\nprovider: {name: ext}", "spec.rules", "CUSTOM action without `rules` is meaningless"),
        .authz("action: CUSTOM\nrules: [{}]", "spec.provider.name", "`provider.name` must not be empty"),
        .authz(
            "action: CUSTOM\nprovider: {name: ext}\nrules: [{from: [{source: {principals: [a]}}]}]",
            "spec.rules[0].from[0].source.principals", "From.Principals is currently not supported with CUSTOM action"),
        .authz(
            "action: CUSTOM\nprovider: {name: ext}\nrules: [{when: [{key: \"request.auth.claims[iss]\", values: [a]}]}]",
            "spec.rules[0].when[0].key", "is currently not supported with CUSTOM action"),
        .authz(
            "action: ALLOW\nprovider: {name: ext}\nrules: [{}]", "spec.provider",
            "`provider` must not be with non CUSTOM action, found ALLOW"),
        .authz("rules: [~]", "spec.rules[0]", "`rule` must not be nil"),
        .authz("rules: [{from: []}]", "spec.rules[0].from", "`from` must not be empty"),
        .authz("rules: [{from: [~]}]", "spec.rules[0].from[0]", "`from` must not be nil"),
        .authz("rules: [{from: [{}]}]", "spec.rules[0].from[0].source", "`from.source` must not be nil"),
        .authz("rules: [{from: [{source: {}}]}]", "spec.rules[0].from[0].source", "`from.source` must not be empty"),
        .authz("rules: [{to: []}]", "spec.rules[0].to", "`to` must not be empty"),
        .authz("rules: [{to: [~]}]", "spec.rules[0].to[0]", "`to` must not be nil"),
        .authz("rules: [{to: [{}]}]", "spec.rules[0].to[0].operation", "`to.operation` must not be nil"),
        .authz("rules: [{to: [{operation: {}}]}]", "spec.rules[0].to[0].operation", "`to.operation` must not be empty"),
        .authz(
            "rules: [{from: [{source: {serviceAccounts: [a], namespaces: [b]}}]}]",
            "spec.rules[0].from[0].source.serviceAccounts", "cannot set serviceAccounts with namespaces or principals"),
        .authz(
            "rules: [{from: [{source: {notServiceAccounts: [a], principals: [b]}}]}]",
            "spec.rules[0].from[0].source.notServiceAccounts",
            "cannot set serviceAccounts with namespaces or principals"),
        .authz(
            "rules: [{from: [{source: {serviceAccounts: [\"*\"]}}]}]", "spec.rules[0].from[0].source.serviceAccounts",
            "wildcard not allowed"),
        .authz(
            "rules: [{from: [{source: {serviceAccounts: [a/b/c]}}]}]", "spec.rules[0].from[0].source.serviceAccounts",
            "expected format 'serviceAccount' or 'namespace/serviceAccount'"),
        .authz(
            "rules: [{from: [{source: {serviceAccounts: [/b]}}]}]", "spec.rules[0].from[0].source.serviceAccounts",
            "found empty namespace"),
        .authz(
            "rules: [{from: [{source: {serviceAccounts: [a/]}}]}]", "spec.rules[0].from[0].source.serviceAccounts",
            "found empty serviceAccount"),
        .authz(
            "rules: [{from: [{source: {serviceAccounts: [a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q]}}]}]",
            "spec.rules[0].from[0].source.serviceAccounts", "may not have more than 16 values"),
        .authz(
            "rules: [{from: [{source: {principals: [\"\"]}}]}]", "spec.rules[0].from[0].source.principals[0]",
            "empty value not allowed, found in Principals"),
        .authz(
            "rules: [{from: [{source: {notNamespaces: [a, \"\"]}}]}]", "spec.rules[0].from[0].source.notNamespaces[1]",
            "empty value not allowed, found in NotNamespaces"),
        .authz(
            "rules: [{from: [{source: {ipBlocks: [10.0.0.256]}}]}]", "spec.rules[0].from[0].source.ipBlocks",
            "bad IP address (10.0.0.256)"),
        .authz(
            "rules: [{from: [{source: {remoteIpBlocks: [10.0.0.0/33]}}]}]",
            "spec.rules[0].from[0].source.remoteIpBlocks", "bad CIDR range (10.0.0.0/33)"),
        .authz(
            "rules: [{from: [{source: {notIpBlocks: [\"2001:db8::/129\"]}}]}]",
            "spec.rules[0].from[0].source.notIpBlocks", "bad CIDR range"),
        .authz(
            "rules: [{from: [{source: {notRemoteIpBlocks: [host]}}]}]",
            "spec.rules[0].from[0].source.notRemoteIpBlocks", "bad IP address (host)"),
        .authz(
            "rules: [{to: [{operation: {ports: [\"http\"]}}]}]", "spec.rules[0].to[0].operation.ports",
            "bad port (http)"),
        .authz(
            "rules: [{to: [{operation: {notPorts: [\"65536\"]}}]}]", "spec.rules[0].to[0].operation.notPorts",
            "bad port (65536)"),
        .authz(
            "rules: [{to: [{operation: {methods: [\"\"]}}]}]", "spec.rules[0].to[0].operation.methods[0]",
            "empty value not allowed, found in Methods"),
        .authz(
            "rules: [{to: [{operation: {notHosts: [\"\"]}}]}]", "spec.rules[0].to[0].operation.notHosts[0]",
            "empty value not allowed, found in NotHosts"),
        .authz(
            "rules: [{to: [{operation: {paths: [\"/a/{**}/b/{*}\"]}}]}]", "spec.rules[0].to[0].operation.paths[0]",
            "{**} is not the last operator"),
        .authz(
            "rules: [{to: [{operation: {paths: [\"/a/{name}\"]}}]}]", "spec.rules[0].to[0].operation.paths[0]",
            "Contains '{' or '}' beyond a supported path template"),
        .authz(
            "rules: [{to: [{operation: {notPaths: [\"/a b/{*}\"]}}]}]", "spec.rules[0].to[0].operation.notPaths[0]",
            "with invalid string literal"),
        .authz("rules: [{when: [~]}]", "spec.rules[0].when[0]", "when field cannot be nil"),
        .authz("rules: [{when: [{values: [a]}]}]", "spec.rules[0].when[0].key", "`key` must not be empty"),
        .authz(
            "rules: [{when: [{key: source.ip}]}]", "spec.rules[0].when[0]",
            "at least one of `values` or `notValues` must be set for key source.ip"),
        .authz(
            "rules: [{when: [{key: request.size, values: [a]}]}]", "spec.rules[0].when[0].key",
            "unknown attribute: request.size"),
        .authz(
            "rules: [{when: [{key: request.headers, values: [a]}]}]", "spec.rules[0].when[0].key",
            "should have format a[b]"),
        .authz(
            "rules: [{when: [{key: \"request.auth.claims[]\", values: [a]}]}]", "spec.rules[0].when[0].key",
            "should have format a[b]"),
        .authz(
            "rules: [{when: [{key: \"destination.labels[app]\", values: [a]}]}]", "spec.rules[0].when[0].key",
            "replaced by the workload selector"),
        .authz(
            "rules: [{when: [{key: destination.namespace, values: [a]}]}]", "spec.rules[0].when[0].key",
            "replaced by the metadata.namespace"),
        .authz(
            "rules: [{when: [{key: destination.user, values: [a]}]}]", "spec.rules[0].when[0].key",
            "only supported in v1alpha1"),
        .authz(
            "rules: [{when: [{key: source.ip, values: [1.2.3]}]}]", "spec.rules[0].when[0].values",
            "invalid `value` for `key` source.ip: bad IP address"),
        .authz(
            "rules: [{when: [{key: remote.ip, notValues: [1.2.3.0/40]}]}]", "spec.rules[0].when[0].notValues",
            "invalid `notValue` for `key` remote.ip: bad CIDR range"),
        .authz(
            "rules: [{when: [{key: destination.ip, values: [x]}]}]", "spec.rules[0].when[0].values",
            "bad IP address (x)"),
        .authz(
            "rules: [{when: [{key: destination.port, values: [\"-1\"]}]}]", "spec.rules[0].when[0].values",
            "bad port (-1)"),
        .authz(
            "rules: [{when: [{key: source.serviceAccount, values: [a/b/c]}]}]", "spec.rules[0].when[0].values",
            "expected format"),
        .authz(
            "rules: [{when: [{key: connection.sni, values: [\"\"]}]}]", "spec.rules[0].when[0].values",
            "empty value not allowed"),
    ]

    static let requestAuthenticationRefusals: [PolicyRefusal] = [
        .request(
            "selector: {matchLabels: {\"\": a}}", "spec.selector.matchLabels", "empty key is not supported in selector"),
        .request(
            "selector: {matchLabels: {app: a}}\ntargetRefs: [{kind: Service, name: a}]", "spec.targetRefs",
            "only one of targetRefs or selector"),
        .request("targetRef: {kind: Serv_ice, name: a}", "spec.targetRef", "targetRef must be to one of"),
        .request("targetRef: {group: __, kind: Service, name: a}", "spec.targetRef", "targetRef must be to one of"),
        .request("jwtRules: [~]", "spec.jwtRules[0]", "found null"),
        .jwt("{issuer: a, audiences: [\"\"]}", "spec.jwtRules[0].audiences[0]", "audience must be non-empty string"),
        .jwt("{audiences: [x]}", "spec.jwtRules[0].issuer", "issuer or jwksUri must be non-empty string"),
        .jwt(
            "{issuer: a, jwksUri: \"ftp://keys/jwks.json\"}", "spec.jwtRules[0].jwksUri",
            "URI scheme \"ftp\" is not supported"),
        .jwt(
            "{issuer: a, jwksUri: \"keys.example/jwks.json\"}", "spec.jwtRules[0].jwksUri",
            "URI scheme \"\" is not supported"),
        .jwt("{issuer: a, jwksUri: \"https://keys:port/jwks\"}", "spec.jwtRules[0].jwksUri", "invalid port"),
        .jwt("{issuer: a, jwksUri: \"https://keys/%zz\"}", "spec.jwtRules[0].jwksUri", "invalid URL escape"),
        .jwt("{issuer: a, jwksUri: \"https://keys/\\tx\"}", "spec.jwtRules[0].jwksUri", "invalid control character"),
        .jwt("{issuer: a, jwks: \"not json\"}", "spec.jwtRules[0].jwks", "jwks parse error: not valid JSON"),
        .jwt(
            "{issuer: a, jwks: '{\"keys\":[{\"kty\":\"RSA\",\"n\":\"x\"}]}'}", "spec.jwtRules[0].jwks",
            "RSA key is missing \"e\""),
        .jwt("{issuer: a, jwks: '{\"keys\":[{\"kty\":\"XYZ\"}]}'}", "spec.jwtRules[0].jwks", "unsupported key type"),
        .jwt(
            "{issuer: a, fromHeaders: [{prefix: x}]}", "spec.jwtRules[0].fromHeaders[0].name",
            "location header name must be non-empty string"),
        .jwt(
            "{issuer: a, fromHeaders: [~]}", "spec.jwtRules[0].fromHeaders[0]", "location header name must be non-null"),
        .jwt(
            "{issuer: a, fromParams: [\"\"]}", "spec.jwtRules[0].fromParams[0]",
            "location query must be non-empty string"),
        .jwt(
            "{issuer: a, fromCookies: [\"\"]}", "spec.jwtRules[0].fromCookies[0]",
            "cookie name must be non-empty string"),
        .jwt(
            "{issuer: a, outputClaimToHeaders: [~]}", "spec.jwtRules[0].outputClaimToHeaders[0]",
            "outputClaimToHeaders must not be null"),
        .jwt(
            "{issuer: a, outputClaimToHeaders: [{header: x}]}", "spec.jwtRules[0].outputClaimToHeaders[0].claim",
            "header and claim value must be non-empty string"),
        .jwt(
            "{issuer: a, outputClaimToHeaders: [{claim: x}]}", "spec.jwtRules[0].outputClaimToHeaders[0].header",
            "header and claim value must be non-empty string"),
        .jwt(
            "{issuer: a, outputClaimToHeaders: [{claim: x, header: \"x y\"}]}",
            "spec.jwtRules[0].outputClaimToHeaders[0].header", "must match ^[-_A-Za-z0-9]+$"),
        .jwt("{issuer: a, timeout: soon}", "spec.jwtRules[0].timeout", "invalid duration"),
        .jwt("{issuer: a, timeout: 0s}", "spec.jwtRules[0].timeout", "greater than 1ms"),
        .jwt("{issuer: a, timeout: 1500us}", "spec.jwtRules[0].timeout", "ms precision"),
        .jwt(
            "{issuer: a, spaceDelimitedClaims: [\"\"]}", "spec.jwtRules[0].spaceDelimitedClaims[0]",
            "must be non-empty string"),
        .jwt("{issuer: a, presence: ALWAYS}", "spec.jwtRules[0].presence", "Unsupported value: \"ALWAYS\""),
    ]

    @Test(arguments: authorizationRefusals + requestAuthenticationRefusals)
    func refusedWithPathAndReason(_ refusal: PolicyRefusal) throws {
        let result = decode(refusal.yaml)
        #expect(result.objects.isEmpty, "accepted: \(refusal.yaml)")
        let match = result.errors.first { $0.fieldPath == refusal.path && $0.reason.contains(refusal.reason) }
        #expect(match != nil, "errors: \(result.errors.map(\.description))")
        #expect(match?.object?.description == "\(refusal.kind)/shop/p")
        #expect(match?.line != nil)
    }

    /// The valid side of the rules: values each rule must not refuse.
    static let accepted: [PolicyRefusal] = [
        .authz("action: AUDIT\nrules: [{}]", "", ""),
        .authz("action: DENY\nrules: []", "", ""),
        .authz(
            "action: CUSTOM\nprovider: {name: ext}\nrules: [{to: [{operation: {paths: [/admin]}}], when: [{key: source.ip, values: [10.0.0.0/8]}]}]",
            "", ""),
        .authz("rules: [{from: [{source: {serviceAccounts: [a, shop/b]}}, {source: {namespaces: [x]}}]}]", "", ""),
        .authz(
            "rules: [{from: [{source: {ipBlocks: [\"2001:db8::1\", 10.0.0.0/8], remoteIpBlocks: [1.2.3.4/32]}}]}]", "",
            ""),
        .authz(
            "rules: [{to: [{operation: {ports: [\"0\", \"65535\"], paths: [\"/a/{*}/b/{**}\", \"/{**}\", \"*\", \"/x*\", \"*/y\"]}}]}]",
            "", ""),
        .authz(
            "targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}, {kind: GatewayClass, group: gateway.networking.k8s.io, name: istio}]",
            "", ""),
        .authz(
            "rules: [{when: [{key: \"request.headers[x-a]\", values: [\"*\"]}, {key: \"request.auth.claims[a][b]\", notValues: [x]}, {key: \"experimental.envoy.filters.a.b[c]\", values: [d]}, {key: source.trustDomain, values: [td]}, {key: \"request.experimental.inline.headers[x]\", values: [y]}, {key: destination.port, values: [\"80\"]}]}]",
            "", ""),
        .request(
            "targetRef: {kind: Service, group: \"\", name: a}\njwtRules: [{jwksUri: \"HTTPS://keys.example:8443/jwks\"}]",
            "", ""),
        .request(
            "jwtRules: [{issuer: a, jwks: '{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"a\",\"y\":\"b\"}', timeout: 2s, presence: OPTIONAL}]",
            "", ""),
    ]

    @Test(arguments: accepted)
    func acceptedNeighbours(_ policy: PolicyRefusal) {
        let result = decode(policy.yaml)
        #expect(result.errors.isEmpty, "errors: \(result.errors.map(\.description))")
        #expect(result.objects.count == 1)
    }
}
