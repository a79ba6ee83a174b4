import CertificateAuthority
import Foundation
import MeshTestSupport
import Synchronization
import Testing

@testable import Registry

/// The leader patches `caBundle` into every webhook of `istio-sidecar-injector` and `istio-validator-istio-system`,
/// through the fake API server, and turns the validating webhooks' `failurePolicy` from `Ignore` to `Fail` only once
/// the webhook server says it is ready; a rotation re-patches, an edit is undone, a missing configuration is waited
/// for, a follower writes nothing and a failover rewrites nothing that is right.
@Suite(.serialized) struct KubernetesWebhookPatchDutyTests {
    static let apiPort = (try? MeshdProcess.freeLocalPort()) ?? 42010
    static let injector = "istio-sidecar-injector"
    static let validator = "istio-validator-istio-system"

    /// A readiness the test flips.
    final class Readiness: Sendable {
        private let ready = Mutex(false)
        var isReady: Bool { ready.withLock { $0 } }
        func set(_ value: Bool) { ready.withLock { $0 = value } }
    }

    static func duty(_ ca: CertificateAuthority, ready: Readiness) -> KubernetesWebhookPatchDuty {
        KubernetesWebhookPatchDuty(
            configurations: .init(namespace: "istio-system"), rootBundle: { ca.trustBundlePEM },
            isWebhookReady: { ready.isReady }, interval: .milliseconds(100), informers: KubernetesMeshd.fastOptions(),
            logger: KubernetesMeshd.quietLogger())
    }

    /// Each webhook of a configuration as (caBundle, failurePolicy).
    static func webhooks(_ cluster: FakeKubernetes, _ kind: String, _ name: String) -> [(String?, String?)] {
        let object = FakeJSON.object(cluster, kind: kind, name: name)
        return (object?["webhooks"] as? [[String: Any]] ?? []).map { webhook in
            ((webhook["clientConfig"] as? [String: Any])?["caBundle"] as? String, webhook["failurePolicy"] as? String)
        }
    }

    static func injectorBundles(_ cluster: FakeKubernetes) -> [String?] {
        webhooks(cluster, "MutatingWebhookConfiguration", injector).map(\.0)
    }

    static func validatorState(_ cluster: FakeKubernetes) -> [(String?, String?)] {
        webhooks(cluster, "ValidatingWebhookConfiguration", validator)
    }

    static func webhookWrites(_ cluster: FakeKubernetes) -> [FakeWrite] {
        FakeJSON.writes(cluster, containing: "webhookconfigurations")
    }

    static func seed(_ cluster: FakeKubernetes) throws {
        try cluster.apply(
            FakeObjects.mutatingWebhookConfiguration(
                injector, webhooks: ["rev.namespace.sidecar-injector.istio.io", "rev.object.sidecar-injector.istio.io"])
        )
        try cluster.apply(
            FakeObjects.validatingWebhookConfiguration(
                validator, webhooks: ["rev.validation.istio.io"], failurePolicy: "Ignore"))
    }

    @Test func caBundleEverywhereAndFailClosedOnlyOnceReady() async throws {
        let cluster = FakeKubernetes()
        try Self.seed(cluster)
        let ready = Readiness()
        try await KubernetesRootCertDutyTests.withCA { ca in
            let caBundle = Data(ca.trustBundlePEM.utf8).base64EncodedString()
            try await cluster.serving(port: Self.apiPort) { apiPort in
                try await KubernetesDutyReplicas.with(
                    ["a"], apiPort: apiPort, duties: { _ in [Self.duty(ca, ready: ready)] }
                ) {
                    replicas in
                    _ = try await replicas.waitForLeader()
                    _ = try await Poll.until("caBundle in every webhook", timeout: .seconds(10)) {
                        Self.injectorBundles(cluster) == [caBundle, caBundle]
                            && Self.validatorState(cluster).map(\.0) == [caBundle] ? true : nil
                    }
                    // Not ready: the validating webhook fails open, however long it waits.
                    try await Task.sleep(for: .milliseconds(600))
                    #expect(Self.validatorState(cluster).map(\.1) == ["Ignore"])
                    #expect(
                        Self.webhooks(cluster, "MutatingWebhookConfiguration", Self.injector).map(\.1) == [
                            "Fail", "Fail",
                        ],
                        "the injector's failurePolicy is not meshd's to change")

                    ready.set(true)
                    _ = try await Poll.until("failurePolicy Fail once ready", timeout: .seconds(5)) {
                        Self.validatorState(cluster).map(\.1) == ["Fail"] ? true : nil
                    }
                    #expect(Self.validatorState(cluster).map(\.0) == [caBundle])

                    // Someone resets a caBundle: it is patched again.
                    try cluster.apply(
                        FakeObjects.mutatingWebhookConfiguration(
                            Self.injector, webhooks: ["rev.namespace.sidecar-injector.istio.io"]))
                    _ = try await Poll.until("the edited injector patched again", timeout: .seconds(5)) {
                        Self.injectorBundles(cluster) == [caBundle] ? true : nil
                    }
                    let settled = Self.webhookWrites(cluster).count
                    try await Task.sleep(for: .seconds(1))
                    #expect(
                        Self.webhookWrites(cluster).count == settled, "a configuration that was right was rewritten")

                    // A root rotation re-patches both, once each; the validator stays fail-closed.
                    try ca.rotateRoot()
                    let rotated = Data(ca.trustBundlePEM.utf8).base64EncodedString()
                    #expect(rotated != caBundle)
                    _ = try await Poll.until("the rotated bundle in every webhook", timeout: .seconds(5)) {
                        Self.injectorBundles(cluster) == [rotated] && Self.validatorState(cluster).map(\.0) == [rotated]
                            ? true : nil
                    }
                    try await Task.sleep(for: .milliseconds(500))
                    #expect(Self.webhookWrites(cluster).count == settled + 2)
                    #expect(Self.validatorState(cluster).map(\.1) == ["Fail"])
                    #expect(Self.webhookWrites(cluster).allSatisfy { $0.method == "PUT" && $0.userAgent == "meshd/a" })
                }
            }
        }
    }

    @Test func aMissingConfigurationIsWaitedFor() async throws {
        let cluster = FakeKubernetes()
        let ready = Readiness()
        try await KubernetesRootCertDutyTests.withCA { ca in
            let caBundle = Data(ca.trustBundlePEM.utf8).base64EncodedString()
            try await cluster.serving(port: Self.apiPort) { apiPort in
                try await KubernetesDutyReplicas.with(
                    ["a"], apiPort: apiPort, duties: { _ in [Self.duty(ca, ready: ready)] }
                ) {
                    replicas in
                    _ = try await replicas.waitForLeader()
                    try await Task.sleep(for: .seconds(1))
                    #expect(Self.webhookWrites(cluster).isEmpty)
                    #expect(
                        cluster.listCount(kind: "ValidatingWebhookConfiguration") == 1,
                        "the duty listed once and watches")
                    try cluster.apply(
                        FakeObjects.validatingWebhookConfiguration(
                            Self.validator, webhooks: ["rev.validation.istio.io", "rev.validation.other.io"],
                            failurePolicy: "Fail"))
                    _ = try await Poll.until("the configuration patched once it exists", timeout: .seconds(5)) {
                        Self.validatorState(cluster).map(\.0) == [caBundle, caBundle] ? true : nil
                    }
                    // Not ready yet: fail open, as istiod does until its webhook answers.
                    #expect(Self.validatorState(cluster).map(\.1) == ["Ignore", "Ignore"])
                }
            }
        }
    }

    @Test func aFollowerWritesNothingAndAFailoverRewritesNothingRight() async throws {
        let cluster = FakeKubernetes()
        try Self.seed(cluster)
        let ready = Readiness()
        ready.set(true)
        try await KubernetesRootCertDutyTests.withCA { ca in
            let caBundle = Data(ca.trustBundlePEM.utf8).base64EncodedString()
            try await cluster.serving(port: Self.apiPort) { apiPort in
                try await KubernetesDutyReplicas.with(
                    ["a", "b"], apiPort: apiPort, duties: { _ in [Self.duty(ca, ready: ready)] }
                ) {
                    replicas in
                    let leader = try await replicas.waitForLeader()
                    let follower = try #require(replicas.ids.first { $0 != leader })
                    _ = try await Poll.until("both configurations patched", timeout: .seconds(10)) {
                        Self.injectorBundles(cluster) == [caBundle, caBundle]
                            && Self.validatorState(cluster).map(\.1) == ["Fail"] ? true : nil
                    }
                    try await Task.sleep(for: .milliseconds(500))
                    let before = Self.webhookWrites(cluster)
                    #expect(before.count == 2, "\(before.map { "\($0.method) \($0.path)" })")
                    #expect(before.allSatisfy { $0.userAgent == "meshd/\(leader)" }, "a follower patched a webhook")

                    replicas.crash(leader)
                    _ = try await replicas.waitForLeader(among: [follower])
                    try await Task.sleep(for: .seconds(1))
                    let after = Self.webhookWrites(cluster).dropFirst(before.count)
                    #expect(after.isEmpty, "the failover rewrote \(after.map { "\($0.method) \($0.path)" })")
                    #expect(Self.validatorState(cluster).map(\.1) == ["Fail"])
                }
            }
        }
    }

    @Test func patchingSetsEveryWebhookAndRefusesAMalformedList() throws {
        let object: [String: Any] = [
            "webhooks": [
                ["name": "a", "clientConfig": ["service": ["name": "istiod"]], "failurePolicy": "Fail"],
                ["name": "b"],
            ]
        ]
        let patched = try KubernetesWebhookPatchDuty.patched(
            object, caBundle: "Q0E=", failurePolicy: "Ignore", path: "x")
        let webhooks = try #require(patched["webhooks"] as? [[String: Any]])
        #expect(webhooks.map { ($0["clientConfig"] as? [String: Any])?["caBundle"] as? String } == ["Q0E=", "Q0E="])
        #expect(webhooks.map { $0["failurePolicy"] as? String } == ["Ignore", "Ignore"])
        #expect(
            ((webhooks[0]["clientConfig"] as? [String: Any])?["service"] as? [String: Any])?["name"] as? String
                == "istiod")
        let json = String(decoding: try JSONSerialization.data(withJSONObject: patched), as: UTF8.self)
        #expect(KubernetesWebhookPatchDuty.isPatched(json, caBundle: "Q0E=", failurePolicy: "Ignore"))
        #expect(!KubernetesWebhookPatchDuty.isPatched(json, caBundle: "Q0E=", failurePolicy: "Fail"))
        #expect(!KubernetesWebhookPatchDuty.isPatched(json, caBundle: "other", failurePolicy: nil))
        #expect(throws: KubernetesError.self) {
            try KubernetesWebhookPatchDuty.patched(
                ["webhooks": "nope"], caBundle: "Q0E=", failurePolicy: nil, path: "x")
        }
    }
}
