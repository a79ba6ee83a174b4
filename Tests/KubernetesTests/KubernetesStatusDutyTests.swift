import Foundation
import Logging
import Testing

@testable import Registry

/// The status the leader writes onto an Istio object: meshd's condition and `observedGeneration`, merged into what
/// other writers put there, and the paths of the objects it writes to.
struct KubernetesStatusDutyTests {
    let duty = KubernetesStatusDuty(
        store: ConfigStore(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })),
        logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))

    @Test func statusIsMergedIntoOtherWritersConditions() throws {
        let status = ConfigStatusReport.Status(
            key: "k8s://VirtualService/default/reviews", state: "Refused", object: "VirtualService/default/reviews",
            inForce: false,
            errors: [.init(fieldPath: "spec.http[0].route[0].weight", reason: "must not be negative")],
            warnings: [.init(fieldPath: "spec.gateways", reason: "unknown gateway")])
        let existing: [String: Any] = [
            "conditions": [
                ["type": "Reconciled", "status": "True"],
                ["type": KubernetesStatusDuty.conditionType, "status": "True", "reason": "Accepted"],
            ],
            "validationMessages": [["level": "ERROR"]],
        ]
        let merged = KubernetesStatusDuty.merged(status, into: existing, generation: 7)
        #expect(merged["observedGeneration"] as? String == "7")
        #expect((merged["validationMessages"] as? [[String: Any]])?.count == 1, "another writer's field was dropped")
        let conditions = try #require(merged["conditions"] as? [[String: Any]])
        // Sorted by type, one of each: the old meshd condition replaced, the other writer's kept.
        #expect(conditions.map { $0["type"] as? String } == ["Reconciled", KubernetesStatusDuty.conditionType])
        let ours = try #require(conditions.last)
        #expect(ours["status"] as? String == "False" && ours["reason"] as? String == "Refused")
        #expect(
            ours["message"] as? String
                == "spec.http[0].route[0].weight: must not be negative; warning: spec.gateways: unknown gateway")
        // The same status again is the same bytes: nothing to write.
        let again = KubernetesStatusDuty.merged(status, into: merged, generation: 7)
        #expect(KubernetesStatusDuty.canonical(again) == KubernetesStatusDuty.canonical(merged))
    }

    @Test func onlyIstioObjectsGetAStatusPath() {
        #expect(
            duty.objectPath("k8s://VirtualService/default/reviews")
                == "/apis/networking.istio.io/v1/namespaces/default/virtualservices/reviews")
        #expect(
            duty.objectPath("k8s://EnvoyFilter/istio-system/lua")
                == "/apis/networking.istio.io/v1alpha3/namespaces/istio-system/envoyfilters/lua")
        #expect(duty.objectPath("k8s://Service/default/reviews") == nil, "a built-in kind")
        #expect(duty.objectPath("k8s://ConfigMap/istio-system/istio#mesh") == nil)
        #expect(duty.objectPath("etcd:/meshd/networking.istio.io/v1/VirtualService/default/reviews") == nil)
        #expect(duty.objectPath("k8s://VirtualService/default") == nil)
    }
}
