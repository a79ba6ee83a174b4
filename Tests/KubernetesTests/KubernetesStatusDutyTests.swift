import Foundation
import Logging
import Testing

@testable import Registry

/// The status the leader writes onto an Istio object: istiod's `Reconciled` and `Ready` conditions, meshd's own,
/// `validationMessages` with Istio's codes and `observedGeneration`, merged into what other writers put there, and
/// the paths of the objects it writes to.
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
                ["type": "example.com/Scanned", "status": "True"],
                ["type": KubernetesStatusDuty.conditionType, "status": "True", "reason": "Accepted"],
            ],
            "validationMessages": [["level": "INFO"]],
            "example": "kept",
        ]
        let merged = KubernetesStatusDuty.merged(status, into: existing, generation: 7)
        #expect(merged["observedGeneration"] as? String == "7")
        #expect(merged["example"] as? String == "kept", "another writer's field was dropped")
        let conditions = try #require(merged["conditions"] as? [[String: Any]])
        // Sorted by type, one of each: meshd's three replaced or added, the other writer's kept.
        #expect(
            conditions.map { $0["type"] as? String } == [
                "Ready", "Reconciled", "example.com/Scanned", KubernetesStatusDuty.conditionType,
            ])
        let ours = try #require(conditions.last)
        #expect(ours["status"] as? String == "False" && ours["reason"] as? String == "Refused")
        #expect(
            ours["message"] as? String
                == "spec.http[0].route[0].weight: must not be negative; warning: spec.gateways: unknown gateway")
        #expect(conditions[0]["status"] as? String == "False" && conditions[1]["status"] as? String == "False")
        // validationMessages are meshd's (istiod's field): the old one is replaced.
        let messages = try #require(merged["validationMessages"] as? [[String: Any]])
        #expect(messages.map { $0["level"] as? String } == ["ERROR", "WARNING"])
        // The same status again, later, is the same bytes: nothing to write.
        let again = KubernetesStatusDuty.merged(status, into: merged, generation: 7, now: Date().addingTimeInterval(60))
        #expect(KubernetesStatusDuty.canonical(again) == KubernetesStatusDuty.canonical(merged))
    }

    @Test func aConditionMovesItsTransitionTimeOnlyWhenItsStatusChanges() throws {
        var status = ConfigStatusReport.Status(
            key: "k8s://VirtualService/default/reviews", state: "Accepted", object: "VirtualService/default/reviews",
            inForce: true, errors: [], warnings: [])
        let first = Date(timeIntervalSince1970: 1_800_000_000)
        let accepted = KubernetesStatusDuty.merged(status, into: [:], generation: 1, now: first)
        func times(_ value: [String: Any]) -> [String: String] {
            var result: [String: String] = [:]
            for condition in value["conditions"] as? [[String: Any]] ?? [] {
                result[condition["type"] as? String ?? ""] = condition["lastTransitionTime"] as? String
            }
            return result
        }
        #expect(Set(times(accepted).values) == ["2027-01-15T08:00:00Z"])
        #expect(accepted["validationMessages"] == nil, "no messages: no field")
        // A refused update while the last good version serves: Reconciled turns False, Ready stays True.
        status.state = "Refused"
        status.errors = [.init(fieldPath: "spec.hosts", reason: "must not be empty")]
        let refused = KubernetesStatusDuty.merged(
            status, into: accepted, generation: 2, now: first.addingTimeInterval(3600))
        let conditions = try #require(refused["conditions"] as? [[String: Any]])
        #expect(
            conditions.map { "\($0["type"] ?? "")=\($0["status"] ?? "")" } == [
                "Ready=True", "Reconciled=False", "\(KubernetesStatusDuty.conditionType)=True",
            ])
        #expect(
            times(refused) == [
                "Ready": "2027-01-15T08:00:00Z", "Reconciled": "2027-01-15T09:00:00Z",
                KubernetesStatusDuty.conditionType: "2027-01-15T08:00:00Z",
            ])
    }

    @Test func validationMessagesCarryIstiosCodes() throws {
        let status = ConfigStatusReport.Status(
            key: "k", state: "Accepted", object: "VirtualService/default/reviews", inForce: true,
            errors: [.init(fieldPath: "spec.http[0].route", reason: "weights must add up to 100")],
            warnings: [
                .init(
                    fieldPath: "spec.http[0].route[0].destination.host",
                    reason: "IST0101 ReferencedResourceNotFound: referenced host not found: \"ratings\""),
                .init(fieldPath: "spec", reason: "IST0111 MultipleSidecarsWithoutWorkloadSelectors: a and b"),
                .init(fieldPath: "spec.exportTo", reason: "IST9999 SomethingNew: later"),
                .init(fieldPath: "spec.tls", reason: "deprecated field"),
            ])
        let messages = KubernetesStatusDuty.validationMessages(status)
        func type(_ index: Int) -> String {
            let type = messages[index]["type"] as? [String: Any]
            return "\(type?["code"] ?? "") \(type?["name"] ?? "") \(messages[index]["level"] ?? "")"
        }
        #expect(
            (0..<messages.count).map(type) == [
                "IST0106 SchemaValidationError ERROR", "IST0101 ReferencedResourceNotFound ERROR",
                "IST0111 MultipleSidecarsWithoutWorkloadSelectors ERROR", "IST9999 SomethingNew WARNING",
                "IST0133 SchemaWarning WARNING",
            ])
        #expect(
            messages[1]["description"] as? String
                == "spec.http[0].route[0].destination.host: referenced host not found: \"ratings\"")
        #expect(
            messages[0]["documentationUrl"] as? String
                == "https://istio.io/latest/docs/reference/config/analysis/ist0106/")
        #expect(messages[3]["documentationUrl"] == nil && messages[4]["documentationUrl"] == nil)
        #expect(KubernetesStatusDuty.parseCode("IST01 x: y") == nil)
        #expect(KubernetesStatusDuty.parseCode("IST0101 two words: y") == nil)
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
