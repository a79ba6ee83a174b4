import MeshModel
import Testing

/// Gateway and TLS Secret decoding, validation parity with istiod's webhook, and secret redaction.
@Suite("Gateway and TLS Secret")
struct GatewayDecodingTests {
    static func gateway(_ servers: String, name: String = "ingress") -> String {
        """
        apiVersion: networking.istio.io/v1beta1
        kind: Gateway
        metadata: {name: \(name), namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
        \(servers)
        """
    }

    static let pemCertificate = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"
    static let pemKey = "-----BEGIN PRIVATE KEY-----\nMIGHsecretkeymaterial\n-----END PRIVATE KEY-----\n"

    static func base64(_ text: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let bytes = Array(text.utf8)
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value =
                (Int(chunk[0]) << 16) | (chunk.count > 1 ? Int(chunk[1]) << 8 : 0)
                | (chunk.count > 2 ? Int(chunk[2]) : 0)
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : "=")
            }
            index += 3
        }
        return out
    }

    @Test func decodesServersAndTLS() throws {
        let result = decode(
            Self.gateway(
                """
                  - port: {number: 443, name: https, protocol: HTTPS}
                    hosts: ["bookinfo/bookinfo.example.com", "*.example.org"]
                    tls:
                      mode: MUTUAL
                      credentialName: bookinfo-credential
                      minProtocolVersion: TLSV1_2
                      cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256]
                  - port: {number: 80, name: http, protocol: HTTP}
                    hosts: ["*"]
                    tls: {httpsRedirect: true}
                """))
        guard case .gateway(let gateway) = onlyResource(result) else {
            Issue.record("not a Gateway")
            return
        }
        #expect(gateway.selector == ["istio": "ingressgateway"])
        #expect(gateway.servers.count == 2)
        let https = try #require(gateway.servers.first)
        #expect(https.port.kind == .https)
        #expect(https.tls?.mode == .mutual)
        #expect(https.tls?.credentialName == "bookinfo-credential")
        #expect(https.tls?.minProtocolVersion == .v1_2)
        #expect(gateway.servers[1].tls?.httpsRedirect == true)
        #expect(gateway.servers[1].tls?.mode == .passthrough)
        #expect(result.warnings.isEmpty, "\(result.warnings.map(\.description))")
    }

    @Test func unknownFieldsAreWarnedNotDropped() {
        let result = decode(
            Self.gateway(
                """
                  - port: {number: 80, name: http, protocol: HTTP}
                    hosts: ["*"]
                    defaultEndpoint: 127.0.0.1:8080
                """))
        #expect(result.errors.isEmpty)
        #expect(result.warnings.contains { $0.fieldPath == "spec.servers[0].defaultEndpoint" })
    }

    @Test(arguments: [
        (
            "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: []", "spec.servers[0].hosts",
            "at least one host"
        ),
        (
            "  - port: {number: 80, name: http, protocol: FTP}\n    hosts: ['*']", "spec.servers[0].port.protocol",
            "invalid protocol"
        ),
        (
            "  - port: {number: 0, name: http, protocol: HTTP}\n    hosts: ['*']", "spec.servers[0].port.number",
            "out of range"
        ),
        (
            "  - port: {number: 80, protocol: HTTP}\n    hosts: ['*']", "spec.servers[0].port.name",
            "port name must be set"
        ),
        (
            "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [reviews]", "spec.servers[0].hosts[0]",
            "short names"
        ),
        (
            "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['bad_ns/a.example.com']",
            "spec.servers[0].hosts[0]", "invalid namespace"
        ),
        (
            "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['a.*.example.com']",
            "spec.servers[0].hosts[0]", "partial wildcard"
        ),
        (
            "  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ['*']", "spec.servers[0].tls",
            "must have TLS settings"
        ),
        (
            "  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ['*']\n    tls: {mode: SIMPLE}",
            "spec.servers[0].tls.serverCertificate", "SIMPLE TLS requires a server certificate"
        ),
        (
            "  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ['*']\n    tls: {mode: MUTUAL, serverCertificate: /c, privateKey: /k}",
            "spec.servers[0].tls.caCertificates", "client CA bundle"
        ),
        (
            "  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ['*']\n    tls: {mode: ISTIO_MUTUAL, credentialName: x}",
            "spec.servers[0].tls.credentialName", "ISTIO_MUTUAL"
        ),
        (
            "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']\n    tls: {mode: SIMPLE, credentialName: x}",
            "spec.servers[0].tls", "plain text HTTP"
        ),
        (
            "  - port: {number: 9000, name: tcp, protocol: TCP}\n    hosts: ['*']\n    tls: {httpsRedirect: true}",
            "spec.servers[0].tls", "non HTTPS/TLS"
        ),
        (
            "  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ['*']\n    tls: {mode: SIMPLEST}",
            "spec.servers[0].tls.mode", "unknown TLS mode"
        ),
        (
            "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']\n  - port: {number: 81, name: http, protocol: HTTP}\n    hosts: ['*']",
            "spec.servers[1].port.name", "must be unique"
        ),
        (
            "  - port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}\n    hosts: ['*']",
            "spec.servers[0].port.targetPort", "no impact"
        ),
    ])
    func refusesWhatTheWebhookRefuses(servers: String, path: String, reason: String) {
        let result = decode(Self.gateway(servers))
        #expect(result.objects.isEmpty)
        #expect(
            result.errors.contains { $0.fieldPath == path && $0.reason.contains(reason) },
            "\(result.errors.map(\.description))")
        #expect(
            result.errors.allSatisfy {
                $0.object == ResourceKey(kind: .gateway, namespace: "istio-system", name: "ingress")
            })
    }

    @Test func refusesAGatewayWithoutServersOrWithADottedName() {
        let empty = decode(
            "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: a.b}\nspec: {selector: {istio: x}}\n")
        #expect(empty.errors.contains { $0.fieldPath == "spec.servers" })
        #expect(empty.errors.contains { $0.fieldPath == "metadata.name" && $0.reason.contains("DNS-1123 label") })
    }

    @Test func decodesATLSSecretAndNeverPrintsItsKey() throws {
        let yaml = """
            apiVersion: v1
            kind: Secret
            metadata: {name: bookinfo-credential, namespace: istio-system}
            type: kubernetes.io/tls
            data:
              tls.crt: \(Self.base64(Self.pemCertificate))
              tls.key: \(Self.base64(Self.pemKey))
            """
        let result = decode(yaml)
        guard case .secret(let secret) = onlyResource(result) else {
            Issue.record("not a Secret")
            return
        }
        #expect(secret.certificateChain == Self.pemCertificate)
        #expect(secret.privateKey == Self.pemKey)
        #expect(secret.hasKeyPair)
        let resource = MeshResource.secret(secret)
        for text in ["\(secret)", String(reflecting: secret), "\(resource)", String(reflecting: resource)] {
            #expect(!text.contains("secretkeymaterial"), "the key leaked into \(text)")
        }
        var dumped = ""
        dump(resource, to: &dumped)
        #expect(!dumped.contains("secretkeymaterial"))
        // A new key changes the snapshot version although the key is never printed.
        var rotated = secret
        rotated.privateKey = Self.pemKey.replacingOccurrences(of: "secret", with: "rotated")
        #expect(MeshResource.secret(rotated).contentHash != resource.contentHash)
    }

    @Test func refusesBadSecretsWithoutEchoingTheirContent() {
        let yaml = """
            apiVersion: v1
            kind: Secret
            metadata: {name: broken, namespace: istio-system}
            type: kubernetes.io/tls
            data:
              tls.crt: \(Self.base64(Self.pemCertificate))
              tls.key: "!!!notbase64secretkeymaterial"
            """
        let result = decode(yaml)
        #expect(result.objects.isEmpty)
        #expect(result.errors.contains { $0.fieldPath == "data.tls.key" && $0.reason == "not valid base64" })
        #expect(result.errors.allSatisfy { !$0.description.contains("secretkeymaterial") })
    }

    @Test func aMisshapenSecretIsRefusedWithoutQuotingIt() {
        let result = decode(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: flat}\ntype: Opaque\ndata: c2VjcmV0a2V5bWF0ZXJpYWw=\n")
        #expect(result.objects.isEmpty)
        #expect(result.errors.contains { $0.fieldPath == "data" })
        #expect(result.errors.allSatisfy { !$0.description.contains("c2VjcmV0a2V5bWF0ZXJpYWw") })
    }

    @Test func skipsSecretsOfOtherTypes() {
        let result = decode(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: token}\ntype: kubernetes.io/service-account-token\ndata: {token: YQ==}\n"
        )
        #expect(result.errors.isEmpty)
        #expect(result.objects.isEmpty)
        #expect(result.warnings.contains { $0.fieldPath == "type" })
    }

    @Test func snapshotSelectsGatewaysByLabelsAndBindsVirtualServices() {
        let yaml =
            Self.gateway("  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']") + """

                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: short, namespace: istio-system}
                spec: {hosts: [a.example.com], gateways: [ingress], http: [{route: [{destination: {host: a}}]}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: qualified, namespace: bookinfo}
                spec: {hosts: [b.example.com], gateways: [istio-system/ingress], http: [{route: [{destination: {host: b}}]}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: mesh-only, namespace: istio-system}
                spec: {hosts: [c.example.com], http: [{route: [{destination: {host: c}}]}]}
                """
        let snapshot = MeshSnapshot.build(from: decode(yaml).objects)
        #expect(snapshot.gateways(selecting: ["istio": "ingressgateway", "app": "x"]).map(\.meta.name) == ["ingress"])
        #expect(snapshot.gateways(selecting: ["istio": "egressgateway"]).isEmpty)
        #expect(snapshot.virtualServices(boundTo: "istio-system/ingress").map(\.meta.name) == ["qualified", "short"])
        #expect(MeshSnapshot.resolveGatewayName("./gw", namespace: "ns") == "ns/gw")
        #expect(MeshSnapshot.resolveGatewayName("gw.other.svc.cluster.local", namespace: "ns") == "other/gw")
    }
}
