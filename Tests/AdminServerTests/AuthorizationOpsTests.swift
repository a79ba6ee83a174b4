import EnvoyAPI
import Foundation
import MeshModel
import Testing
import XDSTranslator

@testable import AdminServer
@testable import Discovery

/// A shop mesh with an orders workload, two workloads elsewhere, and `policies` indexed into it.
func authorizationSnapshot(_ policies: [AuthorizationPolicy], jwt: [RequestAuthentication] = []) -> MeshSnapshot {
    let yaml = """
        apiVersion: v1
        kind: Service
        metadata: {name: orders, namespace: shop}
        spec:
          clusterIP: 10.96.2.10
          selector: {app: orders}
          ports: [{name: http-web, port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: orders-1, namespace: shop, labels: {app: orders}}
        spec: {serviceAccountName: orders}
        status: {podIP: 10.2.0.5}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: frontend-1, namespace: web, labels: {app: frontend}}
        status: {podIP: 10.3.0.7}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: cart-1, namespace: shop, labels: {app: cart}}
        status: {podIP: 10.2.0.9}
        """
    var snapshot = MeshSnapshot.build(from: ConfigDecoder.decode(yaml: yaml, file: "mesh.yaml").objects)
    snapshot.indexSecurityPolicies(authorization: policies, requestAuthentication: jwt)
    return snapshot
}

func ordersProxy() -> Proxy {
    var proxy = Proxy(
        id: "sidecar~10.2.0.5~orders-1.shop~shop.svc.cluster.local", kind: .sidecar, ipAddresses: ["10.2.0.5"],
        podName: "orders-1",
        namespace: "shop", dnsDomain: "shop.svc.cluster.local", labels: ["app": "orders"], serviceAccount: "orders")
    proxy.workloadIdentity = WorkloadIdentity(namespace: "shop", serviceAccount: "orders")
    return proxy
}

let allowOrdersGET: AuthorizationPolicy = {
    var operation = AuthorizationOperation()
    operation.methods = ["GET"]
    return AuthorizationPolicy(
        meta: ObjectMeta(name: "orders-get", namespace: "shop"), selector: ["app": "orders"],
        rules: [AuthorizationRule(to: [operation])])
}()

let denyAdminPaths: AuthorizationPolicy = {
    var operation = AuthorizationOperation()
    operation.paths = ["/admin*"]
    return AuthorizationPolicy(
        meta: ObjectMeta(name: "deny-admin", namespace: "shop"), action: .deny,
        rules: [AuthorizationRule(to: [operation])])
}()

@Suite("Authorization in the admin server")
struct AuthorizationOpsTests {
    @Test func authorizationzListsPoliciesAndWhatTheyBecame() throws {
        let jwt = RequestAuthentication(
            meta: ObjectMeta(name: "jwt", namespace: "shop"),
            jwtRules: [JWTRule(issuer: "https://issuer.example", jwksURI: "https://issuer.example/jwks")])
        let snapshot = authorizationSnapshot([allowOrdersGET, denyAdminPaths], jwt: [jwt])
        let json = AuthorizationJSON(proxy: ordersProxy(), snapshot: snapshot, settings: TranslatorSettings())
        #expect(json.posture == "allow-some")
        #expect(
            json.policies.map { "\($0.kind) \($0.namespace)/\($0.name)" } == [
                "AuthorizationPolicy shop/deny-admin", "AuthorizationPolicy shop/orders-get",
                "RequestAuthentication shop/jwt",
            ])
        #expect(json.jwks.first?.state.hasPrefix("not fetched") == true)
        let inbound = json.filters.filter {
            $0.listener == "virtualInbound" && $0.filterChain == "inbound_0.0.0.0_8080_mtls"
        }
        #expect(
            inbound.map(\.filter) == [
                "envoy.filters.http.jwt_authn", "envoy.filters.http.rbac", "envoy.filters.http.rbac",
            ])
        #expect(inbound.first { $0.action == "DENY" }?.policies == ["ns[shop]-policy[deny-admin]-rule[0]"])
        #expect(inbound.first { $0.action == "ALLOW" }?.policies == ["ns[shop]-policy[orders-get]-rule[0]"])
        #expect(inbound.first?.providers?.first?.contains("no key set") == true, "\(inbound.first?.providers ?? [])")

        let fetched = AuthorizationJSON(
            proxy: ordersProxy(), snapshot: snapshot.withFetchedJWKS(["https://issuer.example/jwks": #"{"keys":[]}"#]),
            settings: TranslatorSettings())
        #expect(fetched.jwks.first?.state.hasPrefix("fetched") == true)
    }

    @Test func postureIsPerWorkload() {
        let allowNothing = AuthorizationPolicy(meta: ObjectMeta(name: "allow-nothing", namespace: "shop"))
        let rows = WorkloadAuthorizationRow.rows(authorizationSnapshot([allowNothing, allowOrdersGET, denyAdminPaths]))
        let posture = Dictionary(uniqueKeysWithValues: rows.map { ($0.workload, $0.posture.rawValue) })
        #expect(posture == ["shop/orders-1": "allow-some", "shop/cart-1": "default-deny", "web/frontend-1": "open"])
        #expect(rows.last?.workload == "web/frontend-1", "open workloads come last")
        #expect(rows.first { $0.workload == "shop/cart-1" }?.policies == "ALLOW 1, DENY 1")
        let html = AuthorizationSection.render(rows)
        #expect(html.contains(#"data-workload="shop/cart-1" data-posture="default-deny""#))
        #expect(html.contains(#"data-stat="authz-open""#))
        #expect(AuthorizationSection.render([]).isEmpty)
    }

    @Test func diffShowsPolicyChangesReadably() {
        let translator = XDSTranslator()
        let listeners = { (snapshot: MeshSnapshot) in
            translator.generateMessages(typeURL: TypeURL.listener, snapshot: snapshot, proxy: ordersProxy())
                .compactMap { $0.message as? Envoy_Config_Listener_V3_Listener }
        }
        let before = listeners(authorizationSnapshot([allowOrdersGET]))
        let after = listeners(authorizationSnapshot([denyAdminPaths]))
        let lines = AuthorizationDiff.lines(old: before, new: after)
        #expect(lines.contains("+ virtualInbound: DENY ns[shop]-policy[deny-admin]-rule[0]"), "\(lines)")
        #expect(lines.contains("- virtualInbound: ALLOW ns[shop]-policy[orders-get]-rule[0]"), "\(lines)")
        #expect(AuthorizationDiff.lines(old: before, new: before).isEmpty)
    }

    @Test func nackTracingFindsQuotedPolicyNames() {
        let quoted = NackExplanationJSON.quotedPolicies(
            in:
                "Error adding listener virtualInbound: policy ns[shop]-policy[deny-admin]-rule[0] and ns[a]-policy[b]-rule[2]: bad"
        )
        #expect(quoted.map { "\($0.0)/\($0.1)" } == ["shop/deny-admin", "a/b"])
        #expect(NackExplanationJSON.quotedPolicies(in: "nothing here").isEmpty)
    }
}
