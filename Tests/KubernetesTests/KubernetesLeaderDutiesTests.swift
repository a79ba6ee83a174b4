import CertificateAuthority
import Foundation
import MeshTestSupport
import Registry
import Testing

@testable import MeshdApp

/// The leader duties as `meshd serve --kubeconfig` wires them (`buildMeshd` with a self-signed CA shared through
/// `istio-ca-secret`): the root cert in every namespace from the replica set's CA, the injector's caBundle, the
/// validator failing open while no webhook server is ready, istiod's status on Istio objects, and the duties named
/// in `/debug/replicas`.
@Suite(.serialized) struct KubernetesLeaderDutiesTests {
    static let apiPort = (try? MeshdProcess.freeLocalPort()) ?? 42020
    static let firstAdminPort = (try? MeshdProcess.freeLocalPort()) ?? 42021
    static let webhookPort = (try? MeshdProcess.freeLocalPort()) ?? 42022

    @Test func buildMeshdRunsEveryLeaderDuty() async throws {
        let cluster = FakeKubernetes()
        for name in ["default", "bookinfo"] { try cluster.apply(FakeObjects.namespace(name)) }
        try cluster.apply(
            FakeObjects.mutatingWebhookConfiguration(
                "istio-sidecar-injector", webhooks: ["rev.namespace.sidecar-injector.istio.io"]))
        try cluster.apply(
            FakeObjects.validatingWebhookConfiguration(
                "istio-validator-istio-system", webhooks: ["rev.validation.istio.io"], failurePolicy: "Ignore"))
        try cluster.apply(FakeObjects.virtualService("reviews", host: "reviews", destination: "nowhere"))
        try await cluster.serving(port: Self.apiPort) { apiPort in
            try await KubernetesReplicaSet.with(
                ["a"], apiPort: apiPort, firstAdminPort: Self.firstAdminPort, leaseDuration: .seconds(3),
                security: true
            ) { set in
                let replica = try set["a"]
                #expect(
                    try replica.state.duties
                        == [
                            KubernetesStatusDuty.dutyName, KubernetesRootCertDuty.dutyName,
                            KubernetesWebhookPatchDuty.dutyName,
                        ])
                let ca = try #require(replica.application.ca)
                let bundle = ca.trustBundlePEM
                _ = try await Poll.until("the root cert in every namespace", timeout: .seconds(15)) {
                    ["default", "bookinfo"].allSatisfy {
                        KubernetesRootCertDutyTests.holds(cluster, $0, bundle)
                    } ? true : nil
                }
                let caBundle = Data(bundle.utf8).base64EncodedString()
                _ = try await Poll.until("the injector's caBundle", timeout: .seconds(10)) {
                    KubernetesWebhookPatchDutyTests.injectorBundles(cluster) == [caBundle]
                        && KubernetesWebhookPatchDutyTests.validatorState(cluster).map(\.0) == [caBundle] ? true : nil
                }
                #expect(KubernetesWebhookPatchDutyTests.validatorState(cluster).map(\.1) == ["Ignore"])

                // istiod's status: Reconciled and Ready, and the analysis finding as a validation message.
                let status = try await Poll.until("the VirtualService's status", timeout: .seconds(10)) {
                    FakeJSON.object(cluster, kind: "VirtualService", name: "reviews")?["status"] as? [String: Any]
                }
                let conditions = status["conditions"] as? [[String: Any]] ?? []
                #expect(
                    conditions.map { "\($0["type"] ?? "")=\($0["status"] ?? "")" } == [
                        "Ready=True", "Reconciled=True", "\(KubernetesStatusDuty.conditionType)=True",
                    ])
                #expect(status["observedGeneration"] as? String == "1")
                let messages = status["validationMessages"] as? [[String: Any]] ?? []
                #expect(messages.count == 1)
                #expect((messages.first?["type"] as? [String: Any])?["code"] as? String == "IST0101")
                #expect(messages.first?["level"] as? String == "ERROR")
                #expect((messages.first?["description"] as? String)?.contains("\"nowhere\"") == true, "\(messages)")
            }
        }
    }

    /// A VirtualService of the default revision (`istio.io/rev: default`), which Istio's validator selects.
    static func revisionedVirtualService(_ name: String, weight: Int) -> String {
        """
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"\(name)",\
        "namespace":"default","labels":{"istio.io/rev":"default"}},"spec":{"hosts":["\(name)"],\
        "http":[{"route":[{"destination":{"host":"\(name)"},"weight":\(weight)}]}]}}
        """
    }

    /// The whole chain with meshd's own webhook server (`--webhook-address`): the leader patches the root into the
    /// validator, which the fake's admission chain then trusts as kube-apiserver would (the caBundle is its only
    /// root for meshd's serving certificate), turns it to `Fail` once the server is bound and meshd ready, and an
    /// invalid VirtualService created through the API server is refused with meshd's reason.
    @Test func theValidatorFailsClosedOnMeshdsWebhookAndRefusesBadConfig() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("default"))
        try cluster.apply(
            FakeObjects.validatingWebhookConfiguration(
                "istio-validator-istio-system", webhooks: ["validation.istio.io"], failurePolicy: "Ignore"))
        cluster.routeService(namespace: "istio-system", name: "istiod", port: 443, toLocalPort: Self.webhookPort)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-k8s-webhook-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await cluster.serving(port: Self.apiPort) { apiPort in
            let connection = KubernetesConnection(server: "http://127.0.0.1:\(apiPort)")
            var options = MeshdOptions(logger: KubernetesMeshd.quietLogger())
            options.kubernetes = MeshdOptions.Kubernetes(connection: connection, options: KubernetesMeshd.fastOptions())
            var replica = MeshdOptions.Replica(id: "a")
            replica.service.leaseTTL = .seconds(3)
            replica.statusInterval = .milliseconds(100)
            options.kubernetes?.replica = replica
            options.xdsAddress = .unix(path: directory.appendingPathComponent("xds.sock").path)
            options.admin = nil
            options.security = MeshdOptions.Security(
                stateDirectory: directory.appendingPathComponent("ca").path, secureXDSAddress: nil,
                trustNodeMetadata: true)
            options.webhook = MeshdOptions.Webhook(host: "127.0.0.1", port: Self.webhookPort)
            let application = try buildMeshd(options)
            let ca = try #require(application.ca)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await application.run() }
                defer { group.cancelAll() }
                let caBundle = Data(ca.trustBundlePEM.utf8).base64EncodedString()
                _ = try await Poll.until("the validator patched and failing closed", timeout: .seconds(15)) {
                    KubernetesWebhookPatchDutyTests.validatorState(cluster).map { "\($0.0 == caBundle) \($0.1 ?? "")" }
                        == ["true Fail"] ? true : nil
                }
                #expect(application.readiness.isReady)
                try await KubernetesClient.with(connection) { client in
                    let path = "/apis/networking.istio.io/v1/namespaces/default/virtualservices"
                    let refused = try await client.send(
                        .post, path, json: Data(Self.revisionedVirtualService("broken", weight: -1).utf8))
                    let message = String(decoding: refused.body, as: UTF8.self)
                    #expect(refused.status >= 400 && refused.status < 500, "\(refused.status): \(message)")
                    #expect(message.contains("denied the request") && message.contains("weight"), "\(message)")
                    let admitted = try await client.send(
                        .post, path, json: Data(Self.revisionedVirtualService("reviews", weight: 100).utf8))
                    #expect(admitted.status == 201, "\(String(decoding: admitted.body, as: UTF8.self))")
                }
                #expect(cluster.admissionCalls["validation.istio.io"] == 2)
                #expect(cluster.object(kind: "VirtualService", name: "broken") == nil)
            }
        }
    }

    /// Which duties a replica runs follows the options (`--config-status`, `--no-root-cert-configmaps`, empty
    /// webhook names) and the CA: without one there is no root to publish.
    @Test func theDutiesFollowTheOptions() async throws {
        var options = MeshdOptions(logger: KubernetesMeshd.quietLogger())
        options.kubernetes = MeshdOptions.Kubernetes(connection: KubernetesConnection(server: "http://127.0.0.1:1"))
        options.kubernetes?.replica = MeshdOptions.Replica(id: "a")
        options.kubernetes?.namespace = "mesh-system"
        let store = ConfigStore(logger: KubernetesMeshd.quietLogger())
        // Off by default, as istiod's PILOT_ENABLE_STATUS.
        #expect(options.kubernetes?.configStatus == false)
        options.kubernetes?.configStatus = true
        try await KubernetesRootCertDutyTests.withCA { ca in
            func names(_ ca: CertificateAuthority?) -> [String] {
                kubernetesLeaderDuties(options, store: store, ca: ca, isWebhookReady: { false }, logger: options.logger)
                    .map(\.name)
            }
            #expect(names(ca) == ["config-status", "root-cert-configmaps", "webhook-ca-bundle"])
            #expect(names(nil) == ["config-status"])
            let webhooks = try #require(
                kubernetesLeaderDuties(options, store: store, ca: ca, isWebhookReady: { false }, logger: options.logger)
                    .last as? KubernetesWebhookPatchDuty)
            #expect(
                webhooks.configurations
                    == .init(injector: "istio-sidecar-injector", validator: "istio-validator-mesh-system"))
            options.kubernetes?.configStatus = false
            options.kubernetes?.rootCertConfigMaps = false
            #expect(names(ca) == ["webhook-ca-bundle"])
            options.kubernetes?.webhookConfigurations = .init(injector: "", validator: "")
            #expect(names(ca).isEmpty)
            options.kubernetes?.replica = nil
            options.kubernetes?.configStatus = true
            #expect(names(ca).isEmpty, "duties without a replica set")
        }
    }
}
