import Foundation
import MeshTestSupport
import Testing
import XDSServer

/// Nodes from the (fake) API server give Pods their locality: a DestinationRule with outlier detection then
/// prioritizes a client's own zone, and relabelling a Node moves its Pods' endpoints at once.
@Suite(.serialized) struct NodeLocalityTests {
    static let reviews = "outbound|9080||reviews.default.svc.cluster.local"

    static let outlierRule = """
        {"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"reviews",\
        "namespace":"default"},"spec":{"host":"reviews","trafficPolicy":{"outlierDetection":\
        {"consecutive5xxErrors":1,"interval":"1s","baseEjectionTime":"30s"}}}}
        """

    static func node(_ name: String, zone: String) -> String {
        FakeObjects.node(name, labels: ["topology.kubernetes.io/region": "eu", "topology.kubernetes.io/zone": zone])
    }

    /// The priority of the assignment group holding `address` (0 when the group names none), from its text form.
    static func priority(of address: String, in text: String) -> Int? {
        let groups = text.components(separatedBy: "\nendpoints {").dropFirst()
        guard let group = groups.first(where: { $0.contains("\"\(address)\"") }) else { return nil }
        guard let range = group.range(of: #"\n  priority: (\d+)"#, options: .regularExpression) else { return 0 }
        return Int(group[range].split(separator: " ").last ?? "")
    }

    @Test func nodeLabelsGiveEndpointLocalityAndTheClientItsZone() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("default"))
        try cluster.apply(Self.node("node-a", zone: "eu-1a"))
        try cluster.apply(Self.node("node-b", zone: "eu-1b"))
        try cluster.apply(FakeObjects.service("reviews"))
        // The client (the proxy's IP) runs on node-a; its node sends no locality, so its Pod's is used.
        try cluster.apply(FakeObjects.pod("client", labels: ["app": "client"], ip: "10.1.0.99", node: "node-a"))
        try cluster.apply(FakeObjects.pod("reviews-a", labels: ["app": "reviews"], ip: "10.1.0.5", node: "node-a"))
        try cluster.apply(FakeObjects.pod("reviews-b", labels: ["app": "reviews"], ip: "10.1.0.6", node: "node-b"))
        try cluster.apply(Self.outlierRule)
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                #expect(meshd.keys.contains("Node//node-a"))
                try await ProxyView.with(meshd, endpoints: [Self.reviews], routes: []) { proxy in
                    try await proxy.waitFor("own zone first, the other zone next", .endpoint, timeout: .seconds(5)) {
                        Self.priority(of: "10.1.0.5", in: $0) == 0 && Self.priority(of: "10.1.0.6", in: $0) == 1
                            && $0.contains("zone: \"eu-1b\"")
                    }
                    // node-b joins zone eu-1a: both endpoints are now the client's own zone.
                    try cluster.apply(Self.node("node-b", zone: "eu-1a"))
                    try await proxy.waitFor("one zone, one priority", .endpoint, timeout: .seconds(5)) {
                        Self.priority(of: "10.1.0.5", in: $0) == 0 && Self.priority(of: "10.1.0.6", in: $0) == 0
                            && !$0.contains("eu-1b")
                    }
                }
            }
        }
    }
}
