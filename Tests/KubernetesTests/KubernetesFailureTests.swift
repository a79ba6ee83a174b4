import Foundation
import Logging
import MeshModel
import MeshTestSupport
import Registry
import Testing

/// A failed LIST or WATCH is never a deletion: while the API server fails, meshd keeps every object it had, and
/// once the server recovers, what changed meanwhile (an edit, a deletion) arrives.
@Suite(.serialized) struct KubernetesFailureTests {
    /// The watch drops and re-watches fail with 500; then history is compacted, so meshd must relist, and the LISTs
    /// answer a body with no `items`. Nothing is removed; the recovered relist brings the deletion and the object
    /// added meanwhile.
    @Test func failedRelistKeepsTheLastState() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.service("reviews"))
        try cluster.apply(FakeObjects.service("ratings"))
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                let services = { meshd.keys.filter { $0.hasPrefix("Service/") } }
                #expect(services() == ["Service/default/ratings", "Service/default/reviews"])

                // The watch drops and every re-watch fails with 500.
                cluster.inject(.status(500), kind: "Service")
                cluster.dropWatches()
                try await waitForFailures(cluster, count: 2)
                #expect(services() == ["Service/default/ratings", "Service/default/reviews"])

                // History moves on and is compacted, so the next watch gets 410 and meshd must relist; the LISTs
                // answer 200 with no `items`, which must not read as "no services".
                try cluster.apply(FakeObjects.service("churn"))
                _ = cluster.delete(kind: "Service", name: "churn")
                cluster.compact()
                cluster.inject(.listWithoutItems, kind: "Service")
                try await waitForFailures(cluster, count: 2)
                #expect(services() == ["Service/default/ratings", "Service/default/reviews"])

                _ = cluster.delete(kind: "Service", name: "ratings")
                try cluster.apply(FakeObjects.service("details"))
                cluster.inject(nil, kind: "Service")
                _ = try await Poll.until("recovered relist", timeout: .seconds(10), interval: .milliseconds(20)) {
                    services() == ["Service/default/details", "Service/default/reviews"] ? true : nil
                }
                #expect(meshd.store.diagnostics().isEmpty)
            }
        }
    }

    /// Waits until `count` more requests have been answered with the injected fault.
    func waitForFailures(_ cluster: FakeKubernetes, count: Int) async throws {
        let before = cluster.faultyResponses
        _ = try await Poll.until("\(count) failed requests", timeout: .seconds(10), interval: .milliseconds(20)) {
            cluster.faultyResponses >= before + count ? true : nil
        }
    }

    /// A custom resource kind that answers 404 after it was served (an aggregation layer hiccup, a CRD being
    /// replaced) keeps its objects; they are not deleted by a missing collection.
    @Test func aKindThatStopsBeingServedKeepsItsObjects() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.service("reviews"))
        try cluster.apply(FakeObjects.virtualService("reviews", host: "reviews", destination: "reviews"))
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                #expect(meshd.keys.contains("VirtualService/default/reviews"))
                let lists = cluster.listCount(kind: "VirtualService")
                cluster.setCRD("virtualservices.networking.istio.io", installed: false)
                cluster.dropWatches()
                _ = try await Poll.until("relist attempts", timeout: .seconds(10), interval: .milliseconds(20)) {
                    cluster.listCount(kind: "VirtualService") >= lists + 2 ? true : nil
                }
                #expect(meshd.keys.contains("VirtualService/default/reviews"))

                cluster.setCRD("virtualservices.networking.istio.io", installed: true)
                try cluster.apply(FakeObjects.virtualService("ratings", host: "ratings", destination: "ratings"))
                _ = try await Poll.until("served again", timeout: .seconds(10), interval: .milliseconds(20)) {
                    meshd.keys.contains("VirtualService/default/ratings") ? true : nil
                }
                #expect(meshd.keys.contains("VirtualService/default/reviews"))
            }
        }
    }
}
