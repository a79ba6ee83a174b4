import EnvoyAPI
import Foundation
import MeshModel
import Testing
import XDSTranslator

/// Gateway translation for router proxies: which Gateways apply, merging servers per port, credentials over SDS
/// (and only to the gateway's own namespace), and never a key in LDS.
@Suite("Gateway translation")
struct GatewayTests {
    static let routerID = "router~10.44.0.9~ingress-1.istio-system~istio-system.svc.cluster.local"
    static let certificate = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"
    static let key = "-----BEGIN PRIVATE KEY-----\nMIGHverysecretkey\n-----END PRIVATE KEY-----\n"

    static func secret(_ name: String, namespace: String = "istio-system") -> String {
        """
        apiVersion: v1
        kind: Secret
        metadata: {name: \(name), namespace: \(namespace)}
        type: kubernetes.io/tls
        stringData:
          tls.crt: |
            -----BEGIN CERTIFICATE-----
            MIIBcert
            -----END CERTIFICATE-----
          tls.key: |
            -----BEGIN PRIVATE KEY-----
            MIGHverysecretkey
            -----END PRIVATE KEY-----
        """
    }

    static func gateway(
        _ name: String = "ingress", selector: String = "{istio: ingressgateway}", servers: String
    )
        -> String
    {
        """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: \(name), namespace: istio-system}
        spec:
          selector: \(selector)
          servers:
        \(servers)
        """
    }

    static let services = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec: {clusterIP: 10.96.0.20, selector: {app: web}, ports: [{name: http, port: 8080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: shop}
        spec:
          hosts: [web.example.com]
          gateways: [istio-system/ingress]
          http: [{route: [{destination: {host: web}}]}]
        """

    static func fixture(
        _ yaml: String, labels: [String: String] = ["istio": "ingressgateway"],
        identityNamespace: String? = "istio-system",
        nodeID: String = routerID
    ) throws -> MeshFixture {
        try MeshFixture(
            yaml: yaml, nodeID: nodeID, labels: labels,
            identity: identityNamespace.map { WorkloadIdentity(namespace: $0, serviceAccount: "ingress") },
            secrets: ProxySecrets())
    }

    static let https = """
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: [web.example.com]
            tls: {mode: SIMPLE, credentialName: web-credential}
        """

    @Test func aRouterGetsOnlyTheListenersOfGatewaysSelectingIt() throws {
        let yaml = [
            Self.gateway(servers: Self.https), Self.secret("web-credential"), Self.services,
            Self.gateway(
                "egress", selector: "{istio: egressgateway}",
                servers: "  - port: {number: 9000, name: tcp, protocol: TCP}\n    hosts: ['*']"),
        ].joined(separator: "\n---\n")
        let ingress = try Self.fixture(yaml)
        #expect(ingress.messages(TypeURL.listener).map(\.name) == ["0.0.0.0_443"])
        #expect(ingress.messages(TypeURL.route).map(\.name) == ["https.443.https.ingress.istio-system"])
        let other = try Self.fixture(yaml, labels: ["istio": "something-else"])
        #expect(other.messages(TypeURL.listener).isEmpty)
        #expect(other.messages(TypeURL.route).isEmpty)
        #expect(other.messages(TypeURL.secret).isEmpty, "no Gateway names the credential for this router")
    }

    @Test func theCertificateTravelsOverSDSAndNeverInTheListener() throws {
        let yaml = [Self.gateway(servers: Self.https), Self.secret("web-credential"), Self.services].joined(
            separator: "\n---\n")
        let fixture = try Self.fixture(yaml)
        let listenerJSON = try ProtoJSON.render(fixture.messages(TypeURL.listener))
        #expect(listenerJSON.contains("kubernetes://web-credential"))
        #expect(
            !listenerJSON.contains("PRIVATE KEY") && !listenerJSON.contains("inline"), "key material inlined in LDS")
        let clusterJSON = try ProtoJSON.render(fixture.messages(TypeURL.cluster))
        #expect(!clusterJSON.contains("kubernetes://") && !clusterJSON.contains("PRIVATE KEY"))
        let secrets = fixture.resources(TypeURL.secret, as: Envoy_Extensions_TransportSockets_Tls_V3_Secret.self)
        let served = try #require(secrets["kubernetes://web-credential"])
        let trimmed = { (data: Data) in
            String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(trimmed(served.tlsCertificate.privateKey.inlineBytes) == Self.key.trimmingCharacters(in: .newlines))
        #expect(
            trimmed(served.tlsCertificate.certificateChain.inlineBytes)
                == Self.certificate.trimmingCharacters(in: .newlines))
    }

    @Test func credentialsAreServedOnlyToAnIdentityOfTheGatewaysNamespace() throws {
        // The credential exists only in another namespace: not served, even though the name matches.
        let elsewhere = [
            Self.gateway(servers: Self.https), Self.secret("web-credential", namespace: "shop"), Self.services,
        ]
        .joined(separator: "\n---\n")
        #expect(try Self.fixture(elsewhere).messages(TypeURL.secret).isEmpty)
        let yaml = [Self.gateway(servers: Self.https), Self.secret("web-credential"), Self.services].joined(
            separator: "\n---\n")
        // No proven identity, or one from another namespace: nothing.
        #expect(try Self.fixture(yaml, identityNamespace: nil).messages(TypeURL.secret).isEmpty)
        #expect(try Self.fixture(yaml, identityNamespace: "shop").messages(TypeURL.secret).isEmpty)
        // A sidecar in the same namespace never gets gateway credentials.
        let sidecar = try Self.fixture(yaml, nodeID: sidecarID(ip: "10.44.0.7", pod: "app", namespace: "istio-system"))
        #expect(!sidecar.messages(TypeURL.secret).map(\.name).contains("kubernetes://web-credential"))
        #expect(try Self.fixture(yaml).messages(TypeURL.secret).map(\.name) == ["kubernetes://web-credential"])
    }

    @Test func mutualUsesTheCacertSecretOrTheCredentialsOwnCA() throws {
        let servers = """
              - port: {number: 443, name: https, protocol: HTTPS}
                hosts: [web.example.com]
                tls: {mode: MUTUAL, credentialName: web-credential}
            """
        let cacert = """
            apiVersion: v1
            kind: Secret
            metadata: {name: web-credential-cacert, namespace: istio-system}
            type: Opaque
            stringData:
              cacert: |
                -----BEGIN CERTIFICATE-----
                MIIBclientca
                -----END CERTIFICATE-----
            """
        let yaml = [Self.gateway(servers: servers), Self.secret("web-credential"), cacert, Self.services]
            .joined(separator: "\n---\n")
        let secrets = try Self.fixture(yaml).resources(
            TypeURL.secret, as: Envoy_Extensions_TransportSockets_Tls_V3_Secret.self)
        let ca = try #require(secrets["kubernetes://web-credential-cacert"])
        #expect(String(decoding: ca.validationContext.trustedCa.inlineBytes, as: UTF8.self).contains("MIIBclientca"))
        let listener = try #require(
            try Self.fixture(yaml).resources(TypeURL.listener, as: Envoy_Config_Listener_V3_Listener.self)[
                "0.0.0.0_443"])
        let context = try Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext(
            unpackingAny: listener.filterChains[0].transportSocket.typedConfig)
        #expect(context.requireClientCertificate.value)
        #expect(
            context.commonTlsContext.combinedValidationContext.validationContextSdsSecretConfig.name
                == "kubernetes://web-credential-cacert")
    }

    @Test func aServerWhoseProtocolConflictsOnItsPortIsLeftOut() throws {
        let servers = """
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: [web.example.com]
              - port: {number: 8080, name: https, protocol: HTTPS}
                hosts: [web.example.com]
                tls: {mode: SIMPLE, credentialName: web-credential}
            """
        let fixture = try Self.fixture([Self.gateway(servers: servers), Self.services].joined(separator: "\n---\n"))
        let listeners = fixture.resources(TypeURL.listener, as: Envoy_Config_Listener_V3_Listener.self)
        let listener = try #require(listeners["0.0.0.0_8080"])
        #expect(listener.filterChains.count == 1)
        #expect(!listener.filterChains[0].hasTransportSocket, "the HTTPS server on the HTTP port was dropped")
        #expect(fixture.messages(TypeURL.route).map(\.name) == ["http.8080"])
    }

    @Test func httpsRedirectRequiresTLSOnEveryHostOfTheServer() throws {
        let servers = """
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: [web.example.com, other.example.com]
                tls: {httpsRedirect: true}
            """
        let fixture = try Self.fixture([Self.gateway(servers: servers), Self.services].joined(separator: "\n---\n"))
        let routes = fixture.resources(TypeURL.route, as: Envoy_Config_Route_V3_RouteConfiguration.self)
        let configuration = try #require(routes["http.80"])
        #expect(configuration.virtualHosts.map(\.name) == ["other.example.com:80", "web.example.com:80"])
        #expect(configuration.virtualHosts.allSatisfy { $0.requireTls == .all })
        #expect(configuration.virtualHosts.first { $0.name == "web.example.com:80" }?.routes.count == 1)
        #expect(configuration.ignorePortInHostMatching)
    }

    @Test func aServerWithoutBoundVirtualServicesAnswers404() throws {
        let servers = "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [nothing.example.com]"
        let fixture = try Self.fixture([Self.gateway(servers: servers), Self.services].joined(separator: "\n---\n"))
        let routes = fixture.resources(TypeURL.route, as: Envoy_Config_Route_V3_RouteConfiguration.self)
        let configuration = try #require(routes["http.80"])
        #expect(configuration.virtualHosts.map(\.name) == ["blackhole:80"])
        #expect(configuration.virtualHosts[0].routes.isEmpty)
    }
}
