import EnvoyAPI
import Foundation
import Logging
import MeshModel
import MeshTestSupport
import Registry
import SwiftProtobuf
import Testing
import XDSServer
import XDSTranslator

@testable import Discovery

/// The whole path of a key rotation, in process: YAML into a `ConfigStore`, the JWKS service fetching from
/// 127.0.0.1, the push service making the snapshot current, and the translator inlining the keys.
@Suite("JWKS keys in pushed snapshots", .serialized)
struct JWKSPushTests {
    static func yaml(uri: String) -> String {
        """
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
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: jwt, namespace: shop}
        spec:
          jwtRules:
          - issuer: https://issuer.example
            jwksUri: \(uri)
        """
    }

    /// The inline key set of the jwt_authn provider in the proxy's generated listeners.
    static func inlinedKeys(_ snapshot: MeshSnapshot) -> [String] {
        let proxy = Proxy(
            id: "sidecar~10.2.0.5~orders-1.shop~shop.svc.cluster.local", kind: .sidecar, ipAddresses: ["10.2.0.5"],
            podName: "orders-1",
            namespace: "shop", dnsDomain: "shop.svc.cluster.local", labels: ["app": "orders"], serviceAccount: "orders")
        var keys: [String] = []
        for message in XDSTranslator().generateMessages(typeURL: TypeURL.listener, snapshot: snapshot, proxy: proxy) {
            guard let listener = message.message as? Envoy_Config_Listener_V3_Listener else { continue }
            for chain in listener.filterChains {
                for filter in chain.filters where filter.name == "envoy.filters.network.http_connection_manager" {
                    guard
                        let manager =
                            try? Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
                                unpackingAny: filter.typedConfig)
                    else { continue }
                    for http in manager.httpFilters where http.name == "envoy.filters.http.jwt_authn" {
                        guard
                            let jwt = try? Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtAuthentication(
                                unpackingAny: http.typedConfig)
                        else { continue }
                        keys += jwt.providers.values.map(\.localJwks.inlineString)
                    }
                }
            }
        }
        return keys
    }

    @Test func aKeyRotationIsAPushWithTheNewKeys() async throws {
        let issuer = StaticHTTPServer(.init(body: JWKSFixtures.setA))
        try await issuer.serving { port in
            let uri = "http://127.0.0.1:\(port)/jwks"
            let logger = Logger(label: "jwks-push", factory: { _ in SwiftLogNoOpLogHandler() })
            let store = ConfigStore(logger: logger)
            store.apply(file: "mesh.yaml", result: ConfigDecoder.decode(yaml: Self.yaml(uri: uri), file: "mesh.yaml"))
            #expect(store.diagnostics().filter(\.isError).isEmpty, "\(store.diagnostics())")
            let provider = MeshResourceProvider(snapshot: store.snapshot())
            let tracker = ChangeTracker(capacity: 20)
            let ads = ADSServer(
                provider: provider, observer: XDSEventFanOut([provider.connected, tracker]), logger: logger)
            var settings = JWKSSettings()
            settings.refreshInterval = .milliseconds(200)
            settings.retryInterval = .milliseconds(100)
            settings.tick = .milliseconds(20)
            let jwks = JWKSService(store: store, fetcher: HTTPJWKSFetcher(), settings: settings, logger: logger)
            let push = SnapshotPushService(
                store: store, provider: provider, ads: ads, readiness: Readiness(), tracker: tracker, jwks: jwks,
                logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await jwks.run() }
                group.addTask { try await push.run() }
                defer { group.cancelAll() }
                let first = try await Poll.until(
                    "the first key set in the pushed snapshot", timeout: .seconds(10), interval: .milliseconds(20)
                ) {
                    provider.snapshot.fetchedJWKS[uri] == JWKSFixtures.setA ? provider.snapshot : nil
                }
                #expect(Self.inlinedKeys(first) == [JWKSFixtures.setA], "the translator inlines the fetched keys")
                #expect(
                    tracker.changes().contains {
                        $0.change.objects.contains { $0.key.kind.rawValue == "RequestAuthentication" }
                    }, "policy objects are changes like any kind")
                let generation = provider.generation

                issuer.set(.init(body: JWKSFixtures.setB))
                let rotated = try await Poll.until(
                    "the rotated key set pushed", timeout: .seconds(10), interval: .milliseconds(20)
                ) {
                    provider.snapshot.fetchedJWKS[uri] == JWKSFixtures.setB ? provider.snapshot : nil
                }
                #expect(rotated.version != first.version)
                #expect(provider.generation > generation, "a key change is a push")
                #expect(Self.inlinedKeys(rotated) == [JWKSFixtures.setB])

                issuer.set(.init(status: 500, body: "down"))
                let before = issuer.requestCount
                _ = try await Poll.until("a failed refresh", timeout: .seconds(10), interval: .milliseconds(20)) {
                    issuer.requestCount > before && jwks.status().first?.entry.lastError != nil ? true : nil
                }
                #expect(
                    provider.snapshot.fetchedJWKS[uri] == JWKSFixtures.setB, "a failed refresh keeps the last good keys"
                )
                #expect(provider.snapshot.version == rotated.version, "and pushes nothing")
            }
        }
    }
}
