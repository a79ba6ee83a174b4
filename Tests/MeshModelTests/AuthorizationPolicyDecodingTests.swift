import MeshModel
import Testing

/// AuthorizationPolicy and RequestAuthentication decoded into the model, with scope, dry run and the not-enforced
/// warning.
@Suite("Security policy decoding")
struct AuthorizationPolicyDecodingTests {
    @Test(arguments: ["security.istio.io/v1", "security.istio.io/v1beta1"])
    func decodesEveryFieldOfAnAuthorizationPolicy(apiVersion: String) throws {
        let result = decode(
            """
            apiVersion: \(apiVersion)
            kind: AuthorizationPolicy
            metadata:
              name: orders-allow
              namespace: shop
              annotations: {istio.io/dry-run: "true"}
            spec:
              selector:
                matchLabels: {app: orders}
              action: DENY
              rules:
              - from:
                - source:
                    principals: [cluster.local/ns/shop/sa/web]
                    notPrincipals: ["*/sa/evil"]
                    requestPrincipals: ["https://issuer/*"]
                    notRequestPrincipals: [x/y]
                    notNamespaces: [other]
                    namespaces: [shop]
                    ipBlocks: [10.0.0.0/8]
                    notIpBlocks: [10.1.2.3]
                    remoteIpBlocks: ["2001:db8::/32"]
                    notRemoteIpBlocks: [192.168.0.1]
                    trustDomains: [cluster.local]
                    notTrustDomains: [evil.local]
                - source:
                    serviceAccounts: [shop/web]
                    notServiceAccounts: [bot]
                to:
                - operation:
                    hosts: [orders.shop]
                    notHosts: ["*.internal"]
                    ports: ["8080"]
                    notPorts: ["9090"]
                    methods: [GET]
                    notMethods: [DELETE]
                    paths: ["/api/{*}/items", "/static/*"]
                    notPaths: ["/api/admin*"]
                when:
                - key: request.auth.claims[groups][admin]
                  values: ["true"]
                  notValues: ["false"]
            """)
        guard case .authorizationPolicy(let policy) = onlyResource(result) else {
            Issue.record("not an AuthorizationPolicy")
            return
        }
        #expect(policy.meta.namespace == "shop")
        #expect(policy.selector == ["app": "orders"])
        #expect(policy.action == .deny)
        #expect(policy.dryRun)
        #expect(policy.rulesPresent)
        let rule = try #require(policy.rules.first)
        #expect(rule.from.count == 2)
        let source = rule.from[0]
        #expect(source.principals == ["cluster.local/ns/shop/sa/web"])
        #expect(source.notPrincipals == ["*/sa/evil"])
        #expect(source.requestPrincipals == ["https://issuer/*"])
        #expect(source.notRequestPrincipals == ["x/y"])
        #expect(source.namespaces == ["shop"] && source.notNamespaces == ["other"])
        #expect(source.ipBlocks == ["10.0.0.0/8"] && source.notIpBlocks == ["10.1.2.3"])
        #expect(source.remoteIpBlocks == ["2001:db8::/32"] && source.notRemoteIpBlocks == ["192.168.0.1"])
        #expect(source.trustDomains == ["cluster.local"] && source.notTrustDomains == ["evil.local"])
        #expect(rule.from[1].serviceAccounts == ["shop/web"] && rule.from[1].notServiceAccounts == ["bot"])
        let operation = try #require(rule.to.first)
        #expect(operation.hosts == ["orders.shop"] && operation.notHosts == ["*.internal"])
        #expect(operation.ports == ["8080"] && operation.notPorts == ["9090"])
        #expect(operation.methods == ["GET"] && operation.notMethods == ["DELETE"])
        #expect(operation.paths == ["/api/{*}/items", "/static/*"] && operation.notPaths == ["/api/admin*"])
        #expect(
            rule.when == [
                AuthorizationCondition(
                    key: "request.auth.claims[groups][admin]", values: ["true"], notValues: ["false"])
            ])
    }

    @Test func allowNothingAndAllowEverythingAreTold() throws {
        let nothing = decode(policy(spec: "{}"))
        guard case .authorizationPolicy(let none) = onlyResource(nothing) else {
            Issue.record("not decoded")
            return
        }
        #expect(none.action == .allow && none.rules.isEmpty && !none.rulesPresent)
        let everything = decode(policy(spec: "\n  rules:\n  - {}"))
        guard case .authorizationPolicy(let all) = onlyResource(everything) else {
            Issue.record("not decoded")
            return
        }
        #expect(all.rules == [AuthorizationRule()])
        #expect(!all.dryRun)
    }

    @Test func targetRefAndTargetRefsDecode() throws {
        let single = decode(policy(spec: "\n  targetRef: {kind: Service, group: \"\", name: orders}"))
        guard case .authorizationPolicy(let one) = onlyResource(single) else {
            Issue.record("not decoded")
            return
        }
        #expect(one.targetRefs == [PolicyTargetReference(kind: "Service", name: "orders")])
        #expect(one.selector == nil)
        #expect(
            single.warnings.contains { $0.fieldPath == "spec.targetRef" && $0.reason.contains("applies to no proxy") })
        let list = decode(
            policy(
                spec:
                    "\n  targetRefs:\n  - {kind: Gateway, group: gateway.networking.k8s.io, name: ingress}\n  - {kind: ServiceEntry, group: networking.istio.io, name: ext}"
            ))
        guard case .authorizationPolicy(let many) = onlyResource(list) else {
            Issue.record("not decoded")
            return
        }
        #expect(many.targetRefs.map(\.name) == ["ingress", "ext"])
    }

    @Test func dryRunAnnotationReadsAsGoBooleans() {
        for (value, expected) in [("\"true\"", true), ("\"1\"", true), ("\"False\"", false)] {
            let result = decode(
                """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: p, namespace: shop, annotations: {istio.io/dry-run: \(value)}}
                spec: {}
                """)
            guard case .authorizationPolicy(let policy) = onlyResource(result) else {
                Issue.record("not decoded")
                continue
            }
            #expect(policy.dryRun == expected, "\(value)")
        }
        let odd = decode(
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: p, namespace: shop, annotations: {istio.io/dry-run: "yes"}}
            spec: {}
            """)
        #expect(
            odd.warnings.contains {
                $0.fieldPath.hasPrefix("metadata.annotations") && $0.reason.contains("not a boolean")
            })
    }

    @Test func emptySelectorIsNamespaceWideWithAWarning() {
        let result = decode(policy(spec: "\n  selector: {matchLabels: {}}"))
        guard case .authorizationPolicy(let policy) = onlyResource(result) else {
            Issue.record("not decoded")
            return
        }
        #expect(policy.selector == nil)
        #expect(result.warnings.contains { $0.fieldPath == "spec.selector" && $0.reason.contains("without labels") })
    }

    @Test func unknownFieldsWarnWithTheirPath() {
        let result = decode(policy(spec: "\n  rules:\n  - to:\n    - operation: {methods: [GET], verbs: [x]}"))
        #expect(result.objects.count == 1)
        #expect(result.warnings.contains { $0.fieldPath == "spec.rules[0].to[0].operation.verbs" })
    }

    @Test func requestAuthenticationDecodesEveryField() throws {
        let result = decode(
            """
            apiVersion: security.istio.io/v1beta1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: shop}
            spec:
              selector: {matchLabels: {app: orders}}
              jwtRules:
              - issuer: https://issuer.example
                audiences: [orders]
                jwksUri: https://issuer.example/jwks.json
                fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
                fromParams: [token]
                fromCookies: [session]
                outputPayloadToHeader: x-payload
                outputClaimToHeaders: [{header: x-sub, claim: sub}]
                forwardOriginalToken: true
                timeout: 1500ms
                spaceDelimitedClaims: [roles]
                presence: REQUIRED
              - issuer: inline
                jwks: '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}'
            """)
        guard case .requestAuthentication(let policy) = onlyResource(result) else {
            Issue.record("not a RequestAuthentication")
            return
        }
        #expect(policy.selector == ["app": "orders"])
        let rule = try #require(policy.jwtRules.first)
        #expect(rule.issuer == "https://issuer.example" && rule.audiences == ["orders"])
        #expect(rule.jwksURI == "https://issuer.example/jwks.json")
        #expect(rule.fromHeaders == [JWTHeader(name: "x-jwt", prefix: "Bearer ")])
        #expect(rule.fromParams == ["token"] && rule.fromCookies == ["session"])
        #expect(rule.outputPayloadToHeader == "x-payload")
        #expect(rule.outputClaimToHeaders == [JWTClaimToHeader(header: "x-sub", claim: "sub")])
        #expect(rule.forwardOriginalToken)
        #expect(rule.timeoutSeconds == 1.5)
        #expect(rule.spaceDelimitedClaims == ["roles"])
        #expect(rule.presence == .required)
        #expect(policy.jwtRules.last?.jwks?.contains("oct") == true)
    }

    @Test func snapshotIndexesPoliciesAndSelectsThemAsIstiod() throws {
        let result = decode(
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: mesh-wide, namespace: istio-system}
            spec: {}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: ns-wide, namespace: shop}
            spec: {}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: orders-only, namespace: shop}
            spec: {selector: {matchLabels: {app: orders}}}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: by-ref, namespace: shop}
            spec: {targetRef: {kind: Service, group: "", name: orders}}
            ---
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: shop}
            spec: {jwtRules: [{issuer: a}]}
            """)
        #expect(result.errors.isEmpty, "\(result.errors)")
        let snapshot = MeshSnapshot.build(from: result.objects)
        #expect(
            snapshot.authorizationPolicies(namespace: "shop", labels: ["app": "orders"]).map(\.meta.name) == [
                "mesh-wide", "ns-wide", "orders-only",
            ])
        #expect(
            snapshot.authorizationPolicies(namespace: "shop", labels: ["app": "web"]).map(\.meta.name) == [
                "mesh-wide", "ns-wide",
            ])
        #expect(snapshot.authorizationPolicies(namespace: "other", labels: [:]).map(\.meta.name) == ["mesh-wide"])
        #expect(snapshot.requestAuthentications(namespace: "shop", labels: [:]).map(\.meta.name) == ["jwt"])
    }

    func policy(spec: String) -> String {
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: p, namespace: shop}
        spec: \(spec)
        """
    }
}

@Suite("AuthorizationPolicy DENY warnings")
struct AuthorizationPolicyWarningTests {
    @Test func denyWithOnlyHTTPAttributesWarnsAsIstiod() {
        let httpOnly = decode(
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: p, namespace: shop}
            spec:
              action: DENY
              rules:
              - to: [{operation: {methods: [POST]}}]
              - to: [{operation: {methods: [POST], ports: ["8080"]}}]
            """)
        #expect(httpOnly.objects.count == 1)
        let warned = httpOnly.warnings.filter { $0.reason.contains("deny all traffic to TCP ports") }.map(\.fieldPath)
        #expect(warned == ["spec.rules[0]"])
    }
}
