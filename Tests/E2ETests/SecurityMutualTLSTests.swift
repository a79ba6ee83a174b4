import Foundation
import MeshTestSupport
import Testing

/// PeerAuthentication through real Envoys: a sidecar client, a sidecar server (echo on 9080) and a pod without
/// a sidecar. meshd's CA issues the certificates over SDS; auto-mTLS makes the client's Envoy speak mutual TLS.
@Suite("Mutual TLS end to end (PeerAuthentication, auto-mTLS, SDS)", .serialized, .tags(.e2e))
struct SecurityMutualTLSTests {
    static let clusterIP = "10.96.0.80"
    static let port = 9080
    static let host = "httpbin.default.svc.cluster.local"

    static func config(client: Pod, server: Pod) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: httpbin, namespace: default}
        spec:
          clusterIP: \(clusterIP)
          selector: {app: httpbin}
          ports: [{name: http, port: \(port), targetPort: \(port)}]
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(server.name), namespace: default}
        spec: {address: \(server.ip), serviceAccount: \(server.serviceAccount), labels: {app: httpbin}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(client.name), namespace: default}
        spec: {address: \(client.ip), serviceAccount: \(client.serviceAccount), labels: {app: sleep}}
        """
    }

    static func peerAuthentication(_ mode: String) -> String {
        """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: istio-system}
        spec:
          mtls: {mode: \(mode)}
        """
    }

    @Test("STRICT needs mTLS and passes the peer identity; PERMISSIVE takes both; DISABLE takes plaintext")
    func peerAuthenticationModes() async throws {
        try await MeshNetwork.with(label: "mtls") { network in
            let client = try network.addPod(name: "sleep", labels: ["app": "sleep"], serviceAccount: "sleep")
            let server = try network.addPod(name: "httpbin", labels: ["app": "httpbin"], serviceAccount: "httpbin")
            let plain = try network.addPod(name: "legacy", labels: ["app": "legacy"])
            try plain.removeInterception()
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "mesh.yaml": Self.config(client: client, server: server),
                    "peer-authentication.yaml": Self.peerAuthentication("STRICT"),
                ])
            try await server.startEchoServer(service: "httpbin", port: Self.port)
            let sidecars = [
                try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client)),
                try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server)),
            ]
            for sidecar in sidecars { try await sidecar.waitUntilReady() }
            let direct = "http://\(server.ip):\(Self.port)/direct"

            // STRICT: the sidecar client gets through, and the echo backend sees who called.
            let strict = try await Poll.until("sidecar-to-sidecar request under STRICT", timeout: .seconds(20)) {
                let summary = try await Self.send(from: client)
                return summary.ok == 5 ? summary : nil
            }
            let xfcc = try #require(strict.samples.first?.headers["x-forwarded-client-cert"], "\(strict)")
            #expect(xfcc.contains("URI=spiffe://cluster.local/ns/default/sa/sleep"), "XFCC: \(xfcc)")
            #expect(try sidecars[1].counter("listener.0.0.0.0_15006.ssl.handshake") >= 1)
            // ...and a pod without a sidecar is refused.
            #expect(plain.plainGet(direct)?.status != 200, "plaintext got through under STRICT")

            // PERMISSIVE: both kinds of client.
            try meshd.writeConfig("peer-authentication.yaml", Self.peerAuthentication("PERMISSIVE"))
            _ = try await Poll.until("plaintext accepted under PERMISSIVE", timeout: .seconds(20)) {
                plain.plainGet(direct)?.status == 200 ? true : nil
            }
            let permissive = try await Self.send(from: client)
            #expect(permissive.ok == 5, "\(permissive)")
            #expect(permissive.samples.first?.headers["x-forwarded-client-cert"]?.contains("sa/sleep") == true)

            // DISABLE: plaintext only; auto-mTLS sees it and the sidecar client switches to plaintext too.
            try meshd.writeConfig("peer-authentication.yaml", Self.peerAuthentication("DISABLE"))
            let disabled = try await Poll.until("sidecar client in plaintext under DISABLE", timeout: .seconds(20)) {
                let summary = try await Self.send(from: client)
                let plaintext = summary.samples.first?.headers["x-forwarded-client-cert"] == nil
                return summary.ok == 5 && plaintext ? summary : nil
            }
            #expect(disabled.ok == 5)
            #expect(plain.plainGet(direct)?.status == 200)
        }
    }

    @Test("the mesh config's trustDomain is the identities' trust domain: certificates, peer checks and policies")
    func meshConfigTrustDomain() async throws {
        try await MeshNetwork.with(label: "mtls-td") { network in
            let client = try network.addPod(name: "sleep", labels: ["app": "sleep"], serviceAccount: "sleep")
            let server = try network.addPod(name: "httpbin", labels: ["app": "httpbin"], serviceAccount: "httpbin")
            let meshConfig = network.scratchDirectory.appendingPathComponent("mesh-config.yaml")
            try "trustDomain: example.org\n".write(to: meshConfig, atomically: true, encoding: .utf8)
            // STRICT, and an ALLOW that names the client in the configured trust domain: only a certificate of
            // example.org can pass both.
            let allow = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: only-sleep, namespace: default}
                spec:
                  selector: {matchLabels: {app: httpbin}}
                  rules: [{from: [{source: {principals: ["example.org/ns/default/sa/sleep"]}}]}]
                """
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "mesh.yaml": Self.config(client: client, server: server),
                    "peer-authentication.yaml": Self.peerAuthentication("STRICT"), "allow.yaml": allow,
                ],
                extraArguments: ["--mesh-config", meshConfig.path])
            try await server.startEchoServer(service: "httpbin", port: Self.port)
            let sidecars = [
                try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client, trustDomain: "example.org")),
                try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server, trustDomain: "example.org")),
            ]
            for sidecar in sidecars { try await sidecar.waitUntilReady() }
            let passed = try await Poll.until(
                "sidecar-to-sidecar request in trust domain example.org", timeout: .seconds(20)
            ) {
                let summary = try await Self.send(from: client)
                return summary.ok == 5 ? summary : nil
            }
            let xfcc = try #require(passed.samples.first?.headers["x-forwarded-client-cert"], "\(passed)")
            #expect(xfcc.contains("URI=spiffe://example.org/ns/default/sa/sleep"), "XFCC: \(xfcc)")
            // A token of the default trust domain proves nothing to this meshd: that sidecar is never admitted.
            let other = try network.addPod(name: "intruder", labels: ["app": "sleep"], serviceAccount: "sleep")
            let intruder = try other.startSidecar(bootstrapJSON: meshd.bootstrap(for: other))
            try await Task.sleep(for: .seconds(3))
            #expect(try !meshd.admin("/debug/syncz").body.contains("intruder"))
            #expect(try intruder.counter("cluster_manager.cds.update_success") == 0)
            #expect(try sidecars[0].counter("cluster_manager.cds.update_success") >= 1)
        }
    }

    static func send(from pod: Pod) async throws -> TrafficSummary {
        try await pod.sendRequests(
            to: "http://\(clusterIP):\(port)/ip", host: host, count: 5, maxSeconds: 5, perRequestTimeout: 2)
    }
}
