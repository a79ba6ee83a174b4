import Crypto
import Foundation
import MeshModel
import Testing

@testable import AuthzSimulator

/// The new-user case on an ingress gateway, from YAML as a user writes it: a RequestAuthentication and two
/// AuthorizationPolicies (ALLOW by request principal and path, DENY /api/admin*), checked on the gateway's listener.
@Suite("Simulator on an ingress gateway")
struct GatewaySimulationTests {
    static func yaml(jwks: String) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: ingress-1, namespace: istio-system, labels: {istio: ingressgateway}}
        spec: {serviceAccountName: istio-ingressgateway}
        status: {podIP: 10.44.0.9}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: web, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: default}
        spec:
          clusterIP: 10.96.0.40
          ports: [{name: http, port: 80}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: api, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [web]
          http:
          - route:
            - destination: {host: api.default.svc.cluster.local}
        ---
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: ingress-jwt, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          jwtRules:
          - issuer: https://auth.example.com
            jwks: '\(jwks)'
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ingress-allow, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          rules:
          - from:
            - source: {requestPrincipals: ["*"]}
            to:
            - operation: {paths: ["/api/*"]}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ingress-deny-admin, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          action: DENY
          rules:
          - to:
            - operation: {paths: ["/api/admin*"]}
        """
    }

    @Test func theNewUserCaseIsRefusedWhereItMustBe() throws {
        let issuer = TestIssuer(issuer: "https://auth.example.com")
        let decoded = ConfigDecoder.decode(yaml: Self.yaml(jwks: issuer.jwks), file: "gateway.yaml")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        let snapshot = MeshSnapshot.build(from: decoded.objects)
        let valid = try issuer.token(["sub": "alice", "exp": Date().timeIntervalSince1970 + 600])
        let expired = try issuer.token(["sub": "alice", "exp": Date().timeIntervalSince1970 - 600])
        let forged = try issuer.token(["sub": "alice"], signedBy: P256.Signing.PrivateKey())
        func check(_ path: String, token: String?) throws -> AuthorizationDecision {
            try AuthorizationSimulator.check(
                AuthorizationCheckRequest(
                    from: .init(ip: "203.0.113.7", plaintext: true),
                    to: .init(workload: "istio-system/ingress-1", port: 8080),
                    path: path, host: "api.example.com", token: token),
                in: snapshot)
        }
        let allowed = try check("/api/items", token: valid)
        #expect(allowed.verdict == .allow, "\(allowed.summary)")
        #expect(allowed.policy?.description == "istio-system/ingress-allow rules[0]")
        #expect(allowed.listener != "virtualInbound")
        #expect(try check("/api/items", token: nil).verdict == .deny)
        #expect(try check("/api/items", token: nil).status == 403)
        #expect(try check("/api/items", token: forged).verdict == .unauthenticated)
        #expect(try check("/api/items", token: expired).verdict == .unauthenticated)
        let admin = try check("/api/admin/keys", token: valid)
        #expect(admin.verdict == .deny)
        #expect(admin.policy?.description == "istio-system/ingress-deny-admin rules[0]")
        #expect(try check("/other", token: valid).verdict == .deny)
    }
}
