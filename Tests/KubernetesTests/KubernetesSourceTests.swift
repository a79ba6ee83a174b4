import Foundation
import MeshModel
import MeshTestSupport
import Registry
import Testing
import XDSServer

/// Add, update and delete through the (fake) API server reach a connected proxy's xDS within a second.
@Suite(.serialized) struct KubernetesSourceTests {
    static let reviews = "outbound|9080||reviews.default.svc.cluster.local"

    @Test func serviceAndPodChangesReachTheProxy() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("default"))
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                try await ProxyView.with(meshd, endpoints: [Self.reviews], routes: ["9080"]) { proxy in
                    // Service: add.
                    try cluster.apply(FakeObjects.service("reviews"))
                    try await proxy.waitFor("reviews cluster", .cluster) { $0.contains(Self.reviews) }
                    // Pod: add, then update its IP, then delete.
                    try cluster.apply(FakeObjects.pod("reviews-1", labels: ["app": "reviews"], ip: "10.1.0.5"))
                    try await proxy.waitFor("pod endpoint", .endpoint) { $0.contains("10.1.0.5") }
                    try cluster.apply(FakeObjects.pod("reviews-1", labels: ["app": "reviews"], ip: "10.1.0.6"))
                    try await proxy.waitFor("moved endpoint", .endpoint) {
                        $0.contains("10.1.0.6") && !$0.contains("10.1.0.5")
                    }
                    cluster.delete(kind: "Pod", name: "reviews-1")
                    try await proxy.waitFor("endpoint gone", .endpoint) { !$0.contains("10.1.0.6") }
                    // Service: update (a second port) and delete.
                    try cluster.apply(FakeObjects.service("reviews", port: 9081))
                    try await proxy.waitFor("new port", .cluster) { $0.contains("outbound|9081||reviews") }
                    cluster.delete(kind: "Service", name: "reviews")
                    try await proxy.waitFor("service gone", .cluster) { !$0.contains("reviews.default") }
                }
            }
        }
    }

    @Test func istioNetworkingChangesReachTheProxy() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.service("reviews"))
        try cluster.apply(FakeObjects.service("ratings", clusterIP: "10.96.0.11"))
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                try await ProxyView.with(meshd, endpoints: [Self.reviews], routes: ["9080"]) { proxy in
                    try await proxy.waitFor("reviews cluster", .cluster) { $0.contains(Self.reviews) }
                    // VirtualService: add, update, delete.
                    let ratings = "outbound|9080||ratings.default.svc.cluster.local"
                    try cluster.apply(FakeObjects.virtualService("reviews", host: "reviews", destination: "ratings"))
                    try await proxy.waitFor("route to ratings", .route) {
                        $0.contains("prefix: \"/\"") && $0.contains(ratings)
                    }
                    try cluster.apply(
                        FakeObjects.virtualService("reviews", host: "reviews", destination: "ratings", prefix: "/v2"))
                    try await proxy.waitFor("updated route", .route) { $0.contains("prefix: \"/v2\"") }
                    cluster.delete(kind: "VirtualService", name: "reviews")
                    try await proxy.waitFor("route gone", .route) { !$0.contains("/v2") }
                    // DestinationRule: add, update, delete (subset clusters).
                    try cluster.apply(FakeObjects.destinationRule("reviews", host: "reviews", subsets: ["v1"]))
                    try await proxy.waitFor("subset v1", .cluster) { $0.contains("outbound|9080|v1|reviews") }
                    try cluster.apply(FakeObjects.destinationRule("reviews", host: "reviews", subsets: ["v1", "v2"]))
                    try await proxy.waitFor("subset v2", .cluster) { $0.contains("outbound|9080|v2|reviews") }
                    cluster.delete(kind: "DestinationRule", name: "reviews")
                    try await proxy.waitFor("subsets gone", .cluster) { !$0.contains("|v1|") && !$0.contains("|v2|") }
                    // ServiceEntry: add, update, delete.
                    try cluster.apply(FakeObjects.serviceEntry("ext", host: "api.example.com", address: "192.0.2.1"))
                    try await proxy.waitFor("entry", .cluster) { $0.contains("outbound|80||api.example.com") }
                    try cluster.apply(FakeObjects.serviceEntry("ext", host: "api2.example.com", address: "192.0.2.1"))
                    try await proxy.waitFor("entry host", .cluster) {
                        $0.contains("api2.example.com") && !$0.contains("||api.example.com")
                    }
                    cluster.delete(kind: "ServiceEntry", name: "ext")
                    try await proxy.waitFor("entry gone", .cluster) { !$0.contains("example.com") }
                    // WorkloadEntry: add, update, delete (an endpoint of reviews).
                    try cluster.apply(FakeObjects.workloadEntry("vm", address: "10.2.0.1", labels: ["app": "reviews"]))
                    try await proxy.waitFor("vm endpoint", .endpoint) { $0.contains("10.2.0.1") }
                    try cluster.apply(FakeObjects.workloadEntry("vm", address: "10.2.0.2", labels: ["app": "reviews"]))
                    try await proxy.waitFor("vm moved", .endpoint) {
                        $0.contains("10.2.0.2") && !$0.contains("10.2.0.1")
                    }
                    cluster.delete(kind: "WorkloadEntry", name: "vm")
                    try await proxy.waitFor("vm gone", .endpoint) { !$0.contains("10.2.0.2") }
                }
            }
        }
    }

    /// PeerAuthentication has no visible effect without the CA, so the snapshot is checked instead of xDS.
    @Test func peerAuthenticationChangesReachTheSnapshot() async throws {
        let cluster = FakeKubernetes()
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                let key = "PeerAuthentication/default/default"
                try cluster.apply(FakeObjects.peerAuthentication("default", mode: "STRICT"))
                try await waitForSnapshot(meshd) { $0.objects.values.contains { "\($0.key)" == key } }
                try cluster.apply(FakeObjects.peerAuthentication("default", mode: "PERMISSIVE"))
                try await waitForSnapshot(meshd) { snapshot in
                    snapshot.objects.values.contains { object in
                        guard case .peerAuthentication(let policy) = object.resource else { return false }
                        return "\(policy)".contains("permissive")
                    }
                }
                cluster.delete(kind: "PeerAuthentication", name: "default")
                try await waitForSnapshot(meshd) { !$0.objects.values.contains { "\($0.key)" == key } }
            }
        }
    }

    /// An invalid update is refused with a message naming Kind/namespace/name, and the last good version stays.
    @Test func invalidObjectKeepsLastGoodVersion() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.virtualService("reviews", host: "reviews", destination: "ratings"))
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                #expect(meshd.keys.contains("VirtualService/default/reviews"))
                try cluster.apply(FakeObjects.virtualService("reviews", host: "", destination: "ratings"))
                let diagnostic = try await Poll.until("a refusal", timeout: .seconds(2)) {
                    meshd.store.diagnostics().first { $0.isError }
                }
                #expect(diagnostic.description.contains("VirtualService/default/reviews"))
                #expect(diagnostic.file == "k8s://VirtualService/default/reviews")
                #expect(meshd.keys.contains("VirtualService/default/reviews"))
            }
        }
    }

    func waitForSnapshot(_ meshd: KubernetesMeshd, _ condition: @escaping (MeshSnapshot) -> Bool) async throws {
        _ = try await Poll.until("snapshot", timeout: .seconds(1), interval: .milliseconds(20)) {
            condition(meshd.store.snapshot()) ? true : nil
        }
    }
}
