import Discovery
import Foundation
import MeshModel
import MeshTestSupport
import Testing

/// EndpointSlices from the (fake) API server replace a Service's selector endpoints, and their changes reach a
/// connected proxy's EDS within a second, on the EDS-only push path.
@Suite(.serialized) struct EndpointSliceSourceTests {
    static let reviews = "outbound|9080||reviews.default.svc.cluster.local"

    @Test func endpointSliceChangesReachTheProxy() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.service("reviews"))
        try cluster.apply(FakeObjects.pod("reviews-1", labels: ["app": "reviews"], ip: "10.1.0.5"))
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                try await ProxyView.with(meshd, endpoints: [Self.reviews], routes: ["9080"]) { proxy in
                    // Without a slice, the selector picks the Pod.
                    try await proxy.waitFor("selector endpoint", .endpoint) { $0.contains("10.1.0.5") }
                    // Add: the slice's addresses replace the selector's.
                    try cluster.apply(
                        FakeObjects.endpointSlice(
                            "reviews-abc", service: "reviews", endpoints: [.init("10.1.0.7", pod: "reviews-1")]))
                    try await proxy.waitFor("slice endpoint", .endpoint) {
                        $0.contains("10.1.0.7") && !$0.contains("10.1.0.5")
                    }
                    // Update: a ready endpoint appears, a not-ready one stays out.
                    try cluster.apply(
                        FakeObjects.endpointSlice(
                            "reviews-abc", service: "reviews",
                            endpoints: [.init("10.1.0.8", ready: false), .init("10.1.0.9")]))
                    try await proxy.waitFor("updated slice", .endpoint) {
                        $0.contains("10.1.0.9") && !$0.contains("10.1.0.7") && !$0.contains("10.1.0.8")
                    }
                    // Delete: back to the selector.
                    #expect(cluster.delete(kind: "EndpointSlice", name: "reviews-abc"))
                    try await proxy.waitFor("selector again", .endpoint) {
                        $0.contains("10.1.0.5") && !$0.contains("10.1.0.9")
                    }
                }
            }
        }
    }

    /// A change of EndpointSlices alone is an "endpoint" change, which may take the EDS fast path.
    @Test func endpointSliceChangeIsAnEndpointTrigger() {
        let slice = ObjectChange(
            key: ResourceKey(kind: .endpointSlice, namespace: "default", name: "reviews-abc"), action: .updated,
            source: SourceLocation(file: "k8s://EndpointSlice/default/reviews-abc", document: 1))
        let pod = ObjectChange(
            key: ResourceKey(kind: .pod, namespace: "default", name: "reviews-1"), action: .added,
            source: SourceLocation(file: "k8s://Pod/default/reviews-1", document: 1))
        let service = ObjectChange(
            key: ResourceKey(kind: .service, namespace: "default", name: "reviews"), action: .updated,
            source: SourceLocation(file: "k8s://Service/default/reviews", document: 1))
        let endpointsOnly = ConfigChange(id: 1, snapshotVersion: "v", publishedAt: .now, objects: [slice, pod])
        #expect(endpointsOnly.trigger == .endpoint)
        let withService = ConfigChange(id: 2, snapshotVersion: "v", publishedAt: .now, objects: [slice, service])
        #expect(withService.trigger == .config)
    }
}
