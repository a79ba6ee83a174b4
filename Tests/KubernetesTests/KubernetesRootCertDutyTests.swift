import CertificateAuthority
import Foundation
import MeshTestSupport
import Synchronization
import Testing

@testable import Registry

/// The leader writes `istio-ca-root-cert` (key `root-cert.pem`, the CA's trust bundle) into every namespace, through
/// the fake API server: namespaces that exist and those created later, not Kubernetes' own nor one being deleted; an
/// edited or deleted ConfigMap is restored; a root rotation rewrites each once; a follower writes nothing and a
/// failover rewrites nothing that is right.
@Suite(.serialized) struct KubernetesRootCertDutyTests {
    static let apiPort = (try? MeshdProcess.freeLocalPort()) ?? 42000

    /// A real self-signed CA in a fresh state directory.
    static func withCA(_ body: (CertificateAuthority) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-rootcert-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(
            try CertificateAuthority.load(stateDirectory: directory.path, pluginDirectory: nil, options: CAOptions()))
    }

    static func duty(_ ca: CertificateAuthority) -> KubernetesRootCertDuty {
        KubernetesRootCertDuty(
            rootBundle: { ca.trustBundlePEM }, interval: .milliseconds(100), informers: KubernetesMeshd.fastOptions(),
            logger: KubernetesMeshd.quietLogger())
    }

    /// The ConfigMap of `namespace` as (data, labels), nil when there is none.
    static func rootCert(
        _ cluster: FakeKubernetes, _ namespace: String
    ) -> (data: [String: String], labels: [String: String])? {
        guard let object = FakeJSON.object(cluster, kind: "ConfigMap", namespace: namespace, name: "istio-ca-root-cert")
        else { return nil }
        let metadata = object["metadata"] as? [String: Any]
        return (object["data"] as? [String: String] ?? [:], metadata?["labels"] as? [String: String] ?? [:])
    }

    /// Whether `namespace` holds the ConfigMap with `bundle` and istiod's label.
    static func holds(_ cluster: FakeKubernetes, _ namespace: String, _ bundle: String) -> Bool {
        guard let map = rootCert(cluster, namespace) else { return false }
        return map.data["root-cert.pem"] == bundle && map.labels["istio.io/config"] == "true"
    }

    static func configMapWrites(_ cluster: FakeKubernetes) -> [FakeWrite] {
        FakeJSON.writes(cluster, containing: "/configmaps")
    }

    @Test func everyNamespaceGetsTheRootCertAndKeepsItRight() async throws {
        let cluster = FakeKubernetes()
        for name in ["default", "bookinfo", "kube-system"] { try cluster.apply(FakeObjects.namespace(name)) }
        try cluster.apply(FakeObjects.namespace("leaving", terminating: true))
        try await Self.withCA { ca in
            let bundle = ca.trustBundlePEM
            try await cluster.serving(port: Self.apiPort) { apiPort in
                try await KubernetesDutyReplicas.with(["a"], apiPort: apiPort, duties: { _ in [Self.duty(ca)] }) {
                    replicas in
                    _ = try await replicas.waitForLeader()
                    _ = try await Poll.until("the root cert in default and bookinfo", timeout: .seconds(10)) {
                        Self.holds(cluster, "default", bundle) && Self.holds(cluster, "bookinfo", bundle) ? true : nil
                    }
                    #expect(Self.rootCert(cluster, "default")?.data.keys.sorted() == ["root-cert.pem"])
                    #expect(bundle.contains("BEGIN CERTIFICATE"))
                    #expect(Self.rootCert(cluster, "kube-system") == nil, "Kubernetes' own namespace got one")
                    #expect(Self.rootCert(cluster, "leaving") == nil, "a namespace being deleted got one")

                    // A namespace created later gets it promptly (the Namespace watch).
                    let created = ContinuousClock.now
                    try cluster.apply(FakeObjects.namespace("late"))
                    _ = try await Poll.until(
                        "the root cert in a new namespace", timeout: .seconds(5), interval: .milliseconds(20)
                    ) {
                        Self.holds(cluster, "late", bundle) ? true : nil
                    }
                    let elapsed = ContinuousClock.now - created
                    print("istio-ca-root-cert in a new namespace after \(elapsed)")
                    #expect(elapsed < .seconds(2))

                    // An edited ConfigMap is restored (its other keys kept); a deleted one is created again.
                    try cluster.apply(
                        """
                        {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"istio-ca-root-cert","namespace":"bookinfo"},\
                        "data":{"root-cert.pem":"tampered","extra":"kept"}}
                        """)
                    _ = try await Poll.until("the edited ConfigMap restored", timeout: .seconds(5)) {
                        Self.holds(cluster, "bookinfo", bundle) ? true : nil
                    }
                    #expect(Self.rootCert(cluster, "bookinfo")?.data["extra"] == "kept")
                    #expect(cluster.delete(kind: "ConfigMap", namespace: "default", name: "istio-ca-root-cert"))
                    _ = try await Poll.until("the deleted ConfigMap created again", timeout: .seconds(5)) {
                        Self.holds(cluster, "default", bundle) ? true : nil
                    }

                    // What is right is not written again.
                    let settled = Self.configMapWrites(cluster).count
                    try await Task.sleep(for: .seconds(1))
                    #expect(Self.configMapWrites(cluster).count == settled, "a ConfigMap that was right was rewritten")

                    // A root rotation: the bundle holds both roots, and each namespace's ConfigMap is replaced once.
                    try ca.rotateRoot()
                    let rotated = ca.trustBundlePEM
                    #expect(
                        rotated != bundle && rotated.contains(bundle.trimmingCharacters(in: .whitespacesAndNewlines)))
                    _ = try await Poll.until("the rotated bundle in every namespace", timeout: .seconds(5)) {
                        ["default", "bookinfo", "late"].allSatisfy { Self.holds(cluster, $0, rotated) } ? true : nil
                    }
                    try await Task.sleep(for: .milliseconds(500))
                    let rotation = Self.configMapWrites(cluster).dropFirst(settled)
                    #expect(
                        rotation.map(\.method) == ["PUT", "PUT", "PUT"], "\(rotation.map { "\($0.method) \($0.path)" })"
                    )
                    #expect(Self.rootCert(cluster, "kube-system") == nil && Self.rootCert(cluster, "leaving") == nil)
                    // Skipped by the duty, not merely refused by the server: nothing was even sent there.
                    #expect(!cluster.writes.contains { $0.path.contains("/namespaces/leaving/") })
                    #expect(!cluster.writes.contains { $0.path.contains("/namespaces/kube-system/") })

                    // A namespace that starts terminating is left alone from then on (its ConfigMap goes with it).
                    #expect(cluster.terminate(namespace: "late"))
                    try await Task.sleep(for: .milliseconds(300))
                    let terminated = Self.configMapWrites(cluster).count
                    try ca.rotateRoot()
                    let again = ca.trustBundlePEM
                    _ = try await Poll.until("the second rotation in the live namespaces", timeout: .seconds(5)) {
                        ["default", "bookinfo"].allSatisfy { Self.holds(cluster, $0, again) } ? true : nil
                    }
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(Self.configMapWrites(cluster).count == terminated + 2)
                    #expect(Self.holds(cluster, "late", rotated), "a Terminating namespace's ConfigMap was rewritten")
                    #expect(Self.configMapWrites(cluster).allSatisfy { $0.userAgent == "meshd/a" })
                }
            }
        }
    }

    @Test func aFollowerWritesNothingAndAFailoverRewritesNothingRight() async throws {
        let cluster = FakeKubernetes()
        for name in ["default", "bookinfo", "reviews"] { try cluster.apply(FakeObjects.namespace(name)) }
        try await Self.withCA { ca in
            let bundle = ca.trustBundlePEM
            try await cluster.serving(port: Self.apiPort) { apiPort in
                try await KubernetesDutyReplicas.with(["a", "b"], apiPort: apiPort, duties: { _ in [Self.duty(ca)] }) {
                    replicas in
                    let leader = try await replicas.waitForLeader()
                    let follower = try #require(replicas.ids.first { $0 != leader })
                    _ = try await Poll.until("the root cert everywhere", timeout: .seconds(10)) {
                        ["default", "bookinfo", "reviews"].allSatisfy { Self.holds(cluster, $0, bundle) } ? true : nil
                    }
                    try await Task.sleep(for: .milliseconds(500))
                    let before = Self.configMapWrites(cluster)
                    #expect(
                        before.map(\.method) == ["POST", "POST", "POST"], "\(before.map { "\($0.method) \($0.path)" })")
                    #expect(before.allSatisfy { $0.userAgent == "meshd/\(leader)" }, "a follower wrote a ConfigMap")

                    replicas.crash(leader)
                    let successor = try await replicas.waitForLeader(among: [follower])
                    #expect(successor == follower)
                    try await Task.sleep(for: .seconds(1))  // ten rounds of the new leader's duty
                    let after = Self.configMapWrites(cluster).dropFirst(before.count)
                    #expect(after.isEmpty, "the failover rewrote \(after.map { "\($0.method) \($0.path)" })")

                    // The new leader carries the duty on.
                    try cluster.apply(FakeObjects.namespace("ratings"))
                    _ = try await Poll.until(
                        "the root cert in a namespace created after the failover", timeout: .seconds(5)
                    ) {
                        Self.holds(cluster, "ratings", bundle) ? true : nil
                    }
                    let carried = Self.configMapWrites(cluster).dropFirst(before.count)
                    #expect(carried.map(\.userAgent) == ["meshd/\(follower)"])
                }
            }
        }
    }

    /// A leader cut off from its Lease while namespaces keep coming: per the fake's own record, every ConfigMap write
    /// came from the replica holding the Lease at that moment, none from the old leader after the takeover, and every
    /// namespace ends up with its ConfigMap.
    @Test func everyConfigMapWriteComesFromTheLeaseHolder() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("default"))
        try await Self.withCA { ca in
            let bundle = ca.trustBundlePEM
            try await cluster.serving(port: Self.apiPort) { apiPort in
                try await KubernetesDutyReplicas.with(["a", "b"], apiPort: apiPort, duties: { _ in [Self.duty(ca)] }) {
                    replicas in
                    let leader = try await replicas.waitForLeader()
                    let follower = try #require(replicas.ids.first { $0 != leader })
                    var partitioned: ContinuousClock.Instant?
                    var successorSince: ContinuousClock.Instant?
                    var created: [String] = []
                    let churn = ContinuousClock.now
                    while ContinuousClock.now - churn < .seconds(15) {
                        let name = "ns-\(created.count)"
                        try cluster.apply(FakeObjects.namespace(name))
                        created.append(name)
                        try await Task.sleep(for: .milliseconds(150))
                        if partitioned == nil, ContinuousClock.now - churn >= .seconds(1) {
                            cluster.refuse(kind: "Lease", userAgent: "meshd/\(leader)")
                            partitioned = .now
                        }
                        guard partitioned != nil else { continue }
                        if successorSince == nil, replicas.states[follower]?.isLeader == true { successorSince = .now }
                        if let since = successorSince, ContinuousClock.now - since > .seconds(1) { break }
                    }
                    let cut = try #require(partitioned)
                    #expect(successorSince != nil, "\(follower) never took over")
                    _ = try await Poll.until("the root cert in every namespace", timeout: .seconds(5)) {
                        created.allSatisfy { Self.holds(cluster, $0, bundle) } ? true : nil
                    }
                    let writes = cluster.writes
                    let takeovers = writes.filter {
                        $0.path.contains("/leases") && $0.name == "meshd-leader" && (200..<300).contains($0.code)
                    }
                    func holder(at instant: ContinuousClock.Instant) -> String? {
                        takeovers.last { $0.at <= instant }?.holder
                    }
                    let maps = writes.filter { $0.path.contains("/configmaps") && (200..<300).contains($0.code) }
                    let offenders = maps.filter { "meshd/\(holder(at: $0.at) ?? "-")" != $0.userAgent }
                    #expect(offenders.isEmpty, "ConfigMaps written by a replica not holding the Lease: \(offenders)")
                    let takeover = try #require(takeovers.first { $0.holder == follower }, "no takeover recorded")
                    #expect(!maps.contains { $0.userAgent == "meshd/\(leader)" && $0.at >= takeover.at })
                    // The cut-off leader still had namespaces to write until it stepped down: a late write was possible.
                    #expect(maps.contains { $0.userAgent == "meshd/\(leader)" && $0.at > cut })
                    #expect(maps.contains { $0.userAgent == "meshd/\(follower)" && $0.at > takeover.at })
                    #expect(maps.count == created.count + 1, "a ConfigMap written twice: \(maps.count) writes")
                }
            }
        }
    }

    /// The fake answers a create in a namespace being deleted as kube-apiserver does (403, cause
    /// `NamespaceTerminating`), and the duty reads that answer as "skip this namespace", not as a failure.
    @Test func aCreateInATerminatingNamespaceIsRefusedAndRecognised() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("leaving", terminating: true))
        try cluster.apply(FakeObjects.namespace("staying"))
        try await cluster.serving(port: Self.apiPort) { apiPort in
            try await KubernetesClient.with(KubernetesConnection(server: "http://127.0.0.1:\(apiPort)")) { client in
                let body = try KubernetesRootCertDuty.newConfigMap("leaving", "pem")
                let refused = try await client.send(.post, "/api/v1/namespaces/leaving/configmaps", json: body)
                #expect(refused.status == 403)
                #expect(KubernetesRootCertDuty.isNamespaceTerminating(refused.body))
                let created = try await client.send(
                    .post, "/api/v1/namespaces/staying/configmaps",
                    json: try KubernetesRootCertDuty.newConfigMap("staying", "pem"))
                #expect(created.status == 201)
                #expect(!KubernetesRootCertDuty.isNamespaceTerminating(created.body))
            }
        }
        #expect(Self.rootCert(cluster, "leaving") == nil)
        #expect(Self.rootCert(cluster, "staying")?.labels["istio.io/config"] == "true")
    }
}
