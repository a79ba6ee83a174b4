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
    static let apiPort = 42020
    static let firstAdminPort = 42021

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

    /// Which duties a replica runs follows the options (`--no-config-status`, `--no-root-cert-configmaps`, empty
    /// webhook names) and the CA: without one there is no root to publish.
    @Test func theDutiesFollowTheOptions() async throws {
        var options = MeshdOptions(logger: KubernetesMeshd.quietLogger())
        options.kubernetes = MeshdOptions.Kubernetes(connection: KubernetesConnection(server: "http://127.0.0.1:1"))
        options.kubernetes?.replica = MeshdOptions.Replica(id: "a")
        options.kubernetes?.namespace = "mesh-system"
        let store = ConfigStore(logger: KubernetesMeshd.quietLogger())
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
