import Foundation
import MeshTestSupport
import Registry
import Testing

/// `meshd serve --kubeconfig` as processes, two replicas on one fake API server, as an operator runs them: the
/// flags join the replica set and share the CA through `istio-ca-secret`; SIGKILL the leader and the other leads
/// within the lease duration; SIGTERM that one and it gives the Lease back and deletes its registry Lease.
@Suite(.serialized) struct KubernetesServeReplicaTests {
    static let apiPort = 23070
    static let adminPorts = ["a": 23071, "b": 23072]
    static let leaseDuration = 3

    @Test func serveFlagsJoinTheReplicaSetShareTheCAAndFailOver() async throws {
        let executable = try MeshdProcess.executable()
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("bookinfo"))
        try cluster.apply(
            FakeObjects.validatingWebhookConfiguration(
                "meshd-validator", webhooks: ["rev.validation.istio.io"], failurePolicy: "Ignore"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-k8s-serve-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await cluster.serving(port: Self.apiPort) { apiPort in
            let kubeconfig = directory.appendingPathComponent("kubeconfig")
            try """
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster: {server: "http://127.0.0.1:\(apiPort)"}
            users:
            - name: tester
              user: {token: not-checked}
            contexts:
            - name: fake
              context: {cluster: fake, user: tester}
            current-context: fake
            """.write(to: kubeconfig, atomically: true, encoding: .utf8)
            var processes: [String: ManagedProcess] = [:]
            defer { ManagedProcess.stopAll(Array(processes.values)) }
            for id in ["a", "b"] {
                let port = try #require(Self.adminPorts[id])
                processes[id] = try ManagedProcess.start(
                    name: "meshd-\(id)",
                    argv: [
                        executable, "serve", "--kubeconfig", kubeconfig.path,
                        "--xds-address", "unix:\(directory.path)/\(id)-xds.sock",
                        "--secure-xds-address", "unix:\(directory.path)/\(id)-xds-tls.sock",
                        "--admin-address", "127.0.0.1:\(port)", "--state-dir", "\(directory.path)/\(id)-ca",
                        "--replica-id", id, "--leader-lease-ttl", "\(Self.leaseDuration)s", "--status-interval",
                        "200ms",
                        "--meshd-namespace", "mesh-system", "--validator-webhook-config", "meshd-validator",
                        "--config-status",
                    ],
                    logFile: directory.appendingPathComponent("meshd-\(id).log"))
            }
            func view(_ id: String) throws -> ReplicaState.View {
                let response = try HTTPProbe.get("http://127.0.0.1:\(try #require(Self.adminPorts[id]))/debug/replicas")
                guard response.status == 200 else { throw HarnessError("/debug/replicas: \(response.status)") }
                return try JSONDecoder().decode(ReplicaState.View.self, from: Data(response.body.utf8))
            }
            func leader(among ids: [String]) throws -> String? {
                for id in ids { try processes[id]?.checkRunning() }
                let views = try ids.map(view)
                let leaders = views.filter { $0.role == "leader" }
                guard leaders.count == 1, let leader = leaders.first, views.allSatisfy({ $0.leader == leader.id })
                else { return nil }
                return leader.id
            }
            let first = try await Poll.until("one leader of a and b", timeout: .seconds(20)) {
                try leader(among: ["a", "b"])
            }
            // The namespace flag is honoured, and both replicas sign with the one root in istio-ca-secret.
            #expect(cluster.object(kind: "Lease", namespace: "mesh-system", name: "meshd-leader") != nil)
            #expect(cluster.object(kind: "Secret", namespace: "mesh-system", name: "istio-ca-secret") != nil)
            let roots = ["a", "b"].map {
                FileManager.default.contents(atPath: "\(directory.path)/\($0)-ca/root-cert.pem")
            }
            #expect(roots[0] != nil && roots[0] == roots[1], "the replicas have different roots")

            // The leader duties the flags ask for: the root cert in every namespace, and the caBundle in the
            // validator named by --validator-webhook-config.
            #expect(try view(first).duties == ["config-status", "root-cert-configmaps", "webhook-ca-bundle"])
            let rootCert = try await Poll.until("istio-ca-root-cert in bookinfo", timeout: .seconds(10)) {
                FakeJSON.object(cluster, kind: "ConfigMap", namespace: "bookinfo", name: "istio-ca-root-cert")?["data"]
                    as? [String: String]
            }
            #expect(rootCert["root-cert.pem"]?.contains("BEGIN CERTIFICATE") == true)
            let caBundle = Data((rootCert["root-cert.pem"] ?? "").utf8).base64EncodedString()
            _ = try await Poll.until("the validator's caBundle", timeout: .seconds(10)) {
                KubernetesWebhookPatchDutyTests.webhooks(cluster, "ValidatingWebhookConfiguration", "meshd-validator")
                    .map(\.0) == [caBundle] ? true : nil
            }

            let other = first == "a" ? "b" : "a"
            processes[first]?.killAbruptly()
            let killed = ContinuousClock.now
            let second = try await Poll.until(
                "\(other) to lead", timeout: .seconds(Self.leaseDuration * 4), interval: .milliseconds(50)
            ) { try leader(among: [other]) }
            let elapsed = ContinuousClock.now - killed
            print("meshd serve failover on Kubernetes: \(first) killed, \(second) leads after \(elapsed)")
            #expect(elapsed < .seconds(Self.leaseDuration) + .seconds(2))

            processes[second]?.stop()
            let text = try #require(cluster.object(kind: "Lease", namespace: "mesh-system", name: "meshd-leader"))
            let lease = try KubernetesLease(json: Data(text.utf8))
            #expect(lease.holderIdentity == "", "SIGTERM did not release the lease: \(lease)")
            #expect(cluster.object(kind: "Lease", namespace: "mesh-system", name: "meshd-replica-\(second)") == nil)
        }
    }
}
