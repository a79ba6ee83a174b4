import MeshModel
import Testing

/// Decoding and validation of PeerAuthentication and DestinationRule `tls`, as istiod accepts and refuses them.
@Suite("PeerAuthentication and DestinationRule tls decoding")
struct PeerAuthenticationTests {
    @Test func decodesSelectorModeAndPortLevelModes() {
        let result = decode(
            """
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata: {name: orders, namespace: shop}
            spec:
              selector:
                matchLabels: {app: orders}
              mtls: {mode: STRICT}
              portLevelMtls:
                8080: {mode: PERMISSIVE}
                9090: {mode: DISABLE}
            """)
        guard case .peerAuthentication(let policy) = onlyResource(result) else {
            Issue.record("not a PeerAuthentication")
            return
        }
        #expect(policy.selector == ["app": "orders"])
        #expect(policy.mode == .strict)
        #expect(policy.portLevelModes == [8080: .permissive, 9090: .disable])
    }

    @Test func unknownModeIsRefusedWithItsPath() throws {
        let result = decode(
            """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: shop}
            spec:
              mtls: {mode: STRIKT}
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.mtls.mode")
        #expect(error.reason.contains("STRIKT"))
        #expect(error.object == ResourceKey(kind: .peerAuthentication, namespace: "shop", name: "default"))
    }

    @Test func portLevelWithoutSelectorIsRefused() throws {
        let result = decode(
            """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: shop}
            spec:
              portLevelMtls:
                8080: {mode: DISABLE}
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.portLevelMtls")
    }

    @Test func portOutOfRangeIsRefused() throws {
        let result = decode(
            """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: p, namespace: shop}
            spec:
              selector: {matchLabels: {app: a}}
              portLevelMtls:
                70000: {mode: DISABLE}
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.portLevelMtls.70000")
    }

    @Test func networkingAPIVersionIsRefused() throws {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: p, namespace: shop}
            spec: {mtls: {mode: STRICT}}
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "apiVersion")
    }

    @Test func destinationRuleTLSModes() throws {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: api, namespace: default}
            spec:
              host: api.example.com
              trafficPolicy:
                tls:
                  mode: MUTUAL
                  clientCertificate: /etc/certs/client.pem
                  privateKey: /etc/certs/key.pem
                  caCertificates: /etc/certs/ca.pem
                  sni: api.example.com
                  subjectAltNames: [api.example.com]
            """)
        guard case .destinationRule(let rule) = onlyResource(result) else {
            Issue.record("not a DestinationRule")
            return
        }
        #expect(
            rule.trafficPolicy?.tls
                == ClientTLSSettings(
                    mode: .mutual, clientCertificate: "/etc/certs/client.pem", privateKey: "/etc/certs/key.pem",
                    caCertificates: "/etc/certs/ca.pem", sni: "api.example.com", subjectAltNames: ["api.example.com"]))
    }

    @Test func destinationRuleMutualWithoutKeyAndUnknownModeAreRefused() throws {
        let missingKey = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: api, namespace: default}
            spec:
              host: api.example.com
              trafficPolicy:
                tls: {mode: MUTUAL, clientCertificate: /c.pem}
            """)
        #expect(try #require(onlyError(missingKey)).fieldPath == "spec.trafficPolicy.tls.privateKey")
        let unknown = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: api, namespace: default}
            spec:
              host: api.example.com
              trafficPolicy:
                tls: {mode: MTLS}
            """)
        #expect(try #require(onlyError(unknown)).fieldPath == "spec.trafficPolicy.tls.mode")
    }
}
