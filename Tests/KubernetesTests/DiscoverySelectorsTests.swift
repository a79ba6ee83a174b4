import Foundation
import MeshModel
import MeshTestSupport
import Registry
import Testing

/// The mesh config's `discoverySelectors` scope what meshd takes from Kubernetes: objects in namespaces no selector
/// matches are ignored entirely, and relabelling a namespace brings its objects in or takes them out.
@Suite struct DiscoverySelectorsTests {
    @Test func objectsOutsideTheSelectedNamespacesAreIgnored() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(
            #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"istio-discovery":"enabled"}}}"#)
        try cluster.apply(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"batch","labels":{"team":"data"}}}"#)
        try cluster.apply(FakeObjects.meshConfigMap(mesh: "discoverySelectors:\n- matchLabels: {istio-discovery: enabled}\n"))
        try cluster.apply(FakeObjects.service("cart", namespace: "shop", clusterIP: "10.96.3.1"))
        try cluster.apply(FakeObjects.service("spark", namespace: "batch", clusterIP: "10.96.3.2"))
        try cluster.apply(FakeObjects.virtualService("spark", namespace: "batch", host: "spark", destination: "spark"))
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                try await Self.waitForKeys(meshd) { $0.contains("Service/shop/cart") }
                try await Task.sleep(for: .milliseconds(300))
                #expect(!meshd.keys.contains("Service/batch/spark"))
                #expect(!meshd.keys.contains("VirtualService/batch/spark"))

                // The namespace joins the mesh: its objects come in; it leaves again: they go.
                try cluster.apply(
                    #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"batch","labels":{"team":"data","istio-discovery":"enabled"}}}"#)
                try await Self.waitForKeys(meshd) {
                    $0.contains("Service/batch/spark") && $0.contains("VirtualService/batch/spark")
                }
                try cluster.apply(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"batch","labels":{"team":"data"}}}"#)
                try await Self.waitForKeys(meshd) { !$0.contains("Service/batch/spark") && $0.contains("Service/shop/cart") }

                // Without selectors every namespace is in scope.
                try cluster.apply(FakeObjects.meshConfigMap(mesh: "trustDomain: cluster.local\n"))
                try await Self.waitForKeys(meshd) { $0.contains("Service/batch/spark") }
            }
        }
    }

    static func waitForKeys(_ meshd: KubernetesMeshd, _ condition: @escaping ([String]) -> Bool) async throws {
        _ = try await Poll.until("objects", timeout: .seconds(10), interval: .milliseconds(20)) {
            condition(meshd.keys) ? true : nil
        }
    }

    @Test func selectorsAreDecodedAndBadOnesRefuseTheMeshConfig() throws {
        let result = MeshConfigDecoder.decode(
            yaml: """
                discoverySelectors:
                - matchLabels: {env: prod}
                - matchExpressions:
                  - {key: app, operator: In, values: [cassandra, spark]}
                """, file: "mesh.yaml")
        let config = try #require(result.config)
        #expect(config.discoverySelectors.count == 2)
        #expect(config.discovers(namespaceLabels: ["env": "prod"]))
        #expect(config.discovers(namespaceLabels: ["app": "spark"]))
        #expect(!config.discovers(namespaceLabels: ["env": "dev", "app": "web"]))
        #expect(MeshConfig().discovers(namespaceLabels: [:]), "no selectors: every namespace")

        for (yaml, path) in [
            ("discoverySelectors: [{matchExpressions: [{key: a, operator: Has}]}]", "discoverySelectors[0].matchExpressions[0].operator"),
            ("discoverySelectors: [{matchExpressions: [{key: a, operator: In}]}]", "discoverySelectors[0].matchExpressions[0].values"),
            ("discoverySelectors: [{matchExpressions: [{key: a, operator: Exists, values: [x]}]}]", "discoverySelectors[0].matchExpressions[0].values"),
        ] {
            let refused = MeshConfigDecoder.decode(yaml: yaml, file: "mesh.yaml")
            #expect(refused.config == nil, "\(yaml)")
            #expect(refused.errors.map(\.fieldPath) == [path], "\(refused.errors)")
        }
    }
}
