import CertificateAuthority
import EnvoyAPI
import Foundation
import MeshTestSupport
import MeshdApp
import Registry
import SwiftProtobuf
import Testing
import X509
import XDSClient
import XDSServer

/// Three meshd replicas on one fake API server: one leader, agreed by all, holding the Lease `meshd-leader`; its
/// duty (each Istio object's status) written once; one CA root shared through `istio-ca-secret`; `meshd
/// proxy-status --kubeconfig` asks every replica; the leader crashes and another leads within the lease duration,
/// carrying the duty on without rewriting anything.
@Suite(.serialized) struct KubernetesReplicaTests {
    static let apiPort = 23020
    static let firstAdminPort = 23021
    static let leaseDuration = 3

    static func virtualService(_ name: String, weight: Int = 100, revision: String = "1") -> String {
        """
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"\(name)",\
        "namespace":"default","labels":{"rev":"\(revision)"}},"spec":{"hosts":["\(name)"],\
        "http":[{"route":[{"destination":{"host":"\(name)"},"weight":\(weight)}]}]}}
        """
    }

    /// meshd's condition on a stored object, as (status, reason, message).
    static func condition(_ cluster: FakeKubernetes, _ name: String) -> (String, String, String)? {
        guard let text = cluster.object(kind: "VirtualService", name: name),
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let status = object["status"] as? [String: Any],
            let conditions = status["conditions"] as? [[String: Any]],
            let ours = conditions.first(where: { $0["type"] as? String == KubernetesStatusDuty.conditionType })
        else { return nil }
        return (ours["status"] as? String ?? "", ours["reason"] as? String ?? "", ours["message"] as? String ?? "")
    }

    static func statusWrites(_ cluster: FakeKubernetes, _ name: String? = nil) -> [FakeWrite] {
        cluster.writes.filter { write in
            write.path.hasSuffix("/status") && write.code == 200
                && (name.map { write.path.hasSuffix("/virtualservices/\($0)/status") } ?? true)
        }
    }

    static func leaderLease(_ cluster: FakeKubernetes) throws -> KubernetesLease {
        let text = try #require(cluster.object(kind: "Lease", namespace: "istio-system", name: "meshd-leader"))
        return try KubernetesLease(json: Data(text.utf8))
    }

    @Test func oneLeaderSharedCAStatusOnceProxyStatusAndFailover() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(Self.virtualService("reviews"))
        try cluster.apply(Self.virtualService("broken", weight: -1))
        try await cluster.serving(port: Self.apiPort) { apiPort in
            try await KubernetesReplicaSet.with(
                ["a", "b", "c"], apiPort: apiPort, firstAdminPort: Self.firstAdminPort,
                leaseDuration: .seconds(Self.leaseDuration), security: true
            ) { set in
                try await set.waitUntilReady()
                let leader = try await Poll.until("one leader that all three agree on", timeout: .seconds(15)) {
                    try set.agreedLeader(among: set.ids)
                }
                #expect(try Self.leaderLease(cluster).holderIdentity == leader)
                let leaderMetrics = try set.ids.map { try set.metric("meshd_leader", of: $0) ?? -1 }
                #expect(leaderMetrics.reduce(0, +) == 1, "meshd_leader over the replicas: \(leaderMetrics)")

                // The shared CA: one replica created istio-ca-secret, the others loaded it.
                #expect(set.sharedCA.values.filter { $0 == .created }.count == 1, "\(set.sharedCA)")
                let secretText = try #require(
                    cluster.object(kind: "Secret", namespace: "istio-system", name: "istio-ca-secret"))
                let secret = try #require(
                    try JSONSerialization.jsonObject(with: Data(secretText.utf8)) as? [String: Any])
                #expect(secret["type"] as? String == "istio.io/ca-root")
                let data = try #require(secret["data"] as? [String: String])
                #expect(
                    Set(data.keys) == [
                        "ca-cert.pem", "ca-key.pem", "cert-chain.pem", "key.pem", "root-cert.pem", "token-key.pem",
                    ])
                let cas = try set.ids.map { try #require(try set[$0].application.ca) }
                #expect(Set(cas.map(\.trustBundlePEM)).count == 1, "the replicas trust different roots")
                #expect(
                    Data(base64Encoded: data["ca-cert.pem"] ?? "").map { String(decoding: $0, as: UTF8.self) }
                        .map { cas[0].trustBundlePEM.contains($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                        == true)
                let identity = SPIFFEIdentity(namespace: "default", serviceAccount: "reviews")
                let issued = try cas[0].issueWorkloadCertificate(for: identity)
                let end = "-----END CERTIFICATE-----"
                let leafPEM = try #require(issued.certificateChainPEM.components(separatedBy: end).first) + end
                let chain = [try Certificate(pemEncoded: leafPEM)]
                #expect(try cas[1].verifyClientChain(chain) == identity, "a certificate from a verifies with b")
                let token = try cas[0].mintToken(namespace: "default", serviceAccount: "ratings", ttl: .seconds(600))
                #expect(try cas[2].verifyToken(token).serviceAccount == "ratings", "a token from a is accepted by c")

                // The registry: every replica lists all three.
                let members = try await Poll.until("all three in the registry", timeout: .seconds(10)) {
                    let ids = try set[leader].state.view().replicas.map(\.record.id)
                    return ids == set.ids ? ids : nil
                }
                #expect(members == ["a", "b", "c"])

                // The duty: each object's status, written once, by the leader.
                _ = try await Poll.until("both statuses", timeout: .seconds(10)) {
                    Self.condition(cluster, "reviews") != nil && Self.condition(cluster, "broken") != nil ? true : nil
                }
                let accepted = try #require(Self.condition(cluster, "reviews"))
                #expect(accepted.0 == "True" && accepted.1 == "Accepted")
                let refused = try #require(Self.condition(cluster, "broken"))
                #expect(refused.0 == "False" && refused.1 == "Refused" && refused.2.contains("weight"), "\(refused)")
                try await Task.sleep(for: .seconds(1))  // several status intervals, for a second writer to show
                let writes = Self.statusWrites(cluster)
                #expect(writes.count == 2, "\(writes.map { "\($0.userAgent) \($0.path)" })")
                #expect(writes.allSatisfy { $0.userAgent == "meshd/\(leader)" })

                // proxy-status over the registry Leases: a proxy on a follower is listed with that replica.
                let follower = try #require(set.ids.first { $0 != leader })
                let kubeconfig = try set.kubeconfig(apiPort: apiPort)
                try await Self.withProxy(on: try set[follower].xdsSocket) {
                    let rows = try await Poll.until("the proxy in proxy-status", timeout: .seconds(10)) {
                        let result = try Subprocess.run(
                            [try MeshdProcess.executable(), "proxy-status", "--kubeconfig", kubeconfig],
                            timeout: .seconds(30))
                        guard result.succeeded else {
                            throw HarnessError("proxy-status exited \(result.status): \(result.stdout)\(result.stderr)")
                        }
                        let rows = result.stdout.split(separator: "\n").map(String.init)
                        return rows.count == 2 && result.stderr.isEmpty ? rows : nil
                    }
                    #expect(rows[0].contains("REPLICA"))
                    #expect(rows[1].hasPrefix("client.default") && rows[1].contains("   \(follower)   "), "\(rows)")
                }

                // The leader crashes: another replica leads within the lease duration.
                let before = try Self.leaderLease(cluster)
                try set.crash(leader)
                let crashed = ContinuousClock.now
                let survivors = set.ids.filter { $0 != leader }
                let successor = try await Poll.until(
                    "a new leader among \(survivors)", timeout: .seconds(Self.leaseDuration * 4),
                    interval: .milliseconds(50)
                ) { try set.agreedLeader(among: survivors) }
                let elapsed = ContinuousClock.now - crashed
                print("Kubernetes leader failover: \(leader) crashed, \(successor) leads after \(elapsed)")
                // At most one duration after the last renewal, plus one read period and the poll.
                #expect(elapsed < .seconds(Self.leaseDuration) + .seconds(2), "a new leader after \(elapsed)")
                let after = try Self.leaderLease(cluster)
                #expect(after.holderIdentity == successor)
                #expect(after.leaseTransitions == (before.leaseTransitions ?? 0) + 1)

                // The duty carries on, once, and rewrites nothing that was right.
                try cluster.apply(Self.virtualService("ratings"))
                _ = try await Poll.until("the new object's status", timeout: .seconds(10)) {
                    Self.condition(cluster, "ratings")
                }
                try await Task.sleep(for: .seconds(1))
                #expect(Self.statusWrites(cluster, "ratings").map(\.userAgent) == ["meshd/\(successor)"])
                #expect(Self.statusWrites(cluster, "reviews").count == 1, "rewritten after the failover")
                #expect(Self.statusWrites(cluster, "broken").count == 1, "rewritten after the failover")

                // The crashed replica's registry Lease expires and it is no longer listed.
                _ = try await Poll.until("the crashed replica to leave the registry", timeout: .seconds(10)) {
                    try set[successor].state.view().replicas.map(\.record.id) == survivors ? true : nil
                }
            }
        }
    }

    /// A sidecar connected over ADS to the socket while `body` runs (node metadata trusted: no credentials).
    static func withProxy(on socket: String, _ body: @Sendable () async throws -> Void) async throws {
        try await XDSClient.withADSStream(to: .unix(path: socket)) { stream in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await response in stream.responses {
                        stream.send(.make(type: response.typeURL, version: response.versionInfo, nonce: response.nonce))
                    }
                }
                var node = Envoy_Config_Core_V3_Node()
                node.id = "sidecar~10.1.0.99~client.default~default.svc.cluster.local"
                node.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "default")
                stream.send(.make(type: XDSType.cluster.rawValue, node: node))
                defer {
                    stream.finish()
                    group.cancelAll()
                }
                try await body()
            }
        }
    }
}
