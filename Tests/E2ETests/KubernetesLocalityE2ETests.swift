import Foundation
import MeshTestSupport
import Testing

/// Locality failover through real Envoys, with locality from Kubernetes: Nodes carry the topology labels, the
/// EndpointSlice names each endpoint's node and zone, and the client's sidecar (whose bootstrap names no
/// locality) takes its Pod's. A DestinationRule with outlier detection turns istiod's default failover on.
@Suite("Locality failover end to end (fake API server + meshd + real Envoys)", .serialized, .tags(.e2e))
struct KubernetesLocalityE2ETests {
    static let clusterIP = "10.96.0.31"
    static let url = "http://\(clusterIP):9080/reviews/1"

    static let nodes: [(name: String, region: String, zone: String)] = [
        ("node-a", "eu-west", "eu-west-1a"), ("node-b", "eu-west", "eu-west-1b"), ("node-c", "us-east", "us-east-1a"),
    ]

    static let outlierRule = """
        {"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"reviews",\
        "namespace":"default"},"spec":{"host":"reviews","trafficPolicy":{"outlierDetection":\
        {"consecutive5xxErrors":1,"interval":"1s","baseEjectionTime":"60s","maxEjectionPercent":100}}}}
        """

    @Test("the client's own zone serves all traffic; when it is ejected, its region's other zone; then another region")
    func prefersOwnZoneAndFailsOverWhenEjected() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("default"))
        for node in Self.nodes {
            try cluster.apply(
                FakeObjects.node(
                    node.name,
                    labels: ["topology.kubernetes.io/region": node.region, "topology.kubernetes.io/zone": node.zone]))
        }
        try await cluster.serving { apiPort in
            try await MeshNetwork.with(label: "k8s-loc") { network in
                let client = try network.addPod(name: "client", labels: ["app": "client"], serviceAccount: "client")
                // near shares the client's zone, mid its region, far neither.
                let placement = [("near", "node-a"), ("mid", "node-b"), ("far", "node-c")]
                var backends: [(pod: Pod, node: String)] = []
                for (name, node) in placement {
                    let pod = try network.addPod(name: name, labels: ["app": "reviews"], serviceAccount: "reviews")
                    backends.append((pod, node))
                }
                try seed(cluster, client: client, backends: backends)
                let kubeconfig = network.scratchDirectory.appendingPathComponent("kubeconfig")
                try KubernetesE2ETests.kubeconfig(apiPort: apiPort).write(
                    to: kubeconfig, atomically: true, encoding: .utf8)
                let meshd = try await MeshdProcess.start(
                    in: network, configFiles: [:], extraArguments: ["--kubeconfig", kubeconfig.path])
                var servers: [String: ManagedProcess] = [:]
                for backend in backends {
                    servers[backend.pod.name] = try await backend.pod.startEchoServer(service: "reviews")
                }
                var sidecars: [Sidecar] = []
                for pod in [client] + backends.map(\.pod) {
                    sidecars.append(try pod.startSidecar(bootstrapJSON: meshd.bootstrap(for: pod)))
                }
                for sidecar in sidecars { try await sidecar.waitUntilReady() }

                try await expectAllTraffic(from: client, reaches: "near", "the client's own zone")
                // near's app goes away: its sidecar answers 503, outlier detection ejects it, priority 1 takes over.
                servers["near"]?.stop()
                try await expectAllTraffic(from: client, reaches: "mid", "the region's other zone, after near's ejection")
                servers["mid"]?.stop()
                try await expectAllTraffic(from: client, reaches: "far", "another region, after mid's ejection")
            }
        }
    }

    /// The Service, every Pod on its node, the EndpointSlice (node and zone per endpoint, as the controller
    /// writes them) and the DestinationRule with outlier detection.
    func seed(_ cluster: FakeKubernetes, client: Pod, backends: [(pod: Pod, node: String)]) throws {
        try cluster.apply(FakeObjects.service("reviews", selector: ["app": "reviews"], clusterIP: Self.clusterIP))
        try cluster.apply(
            FakeObjects.pod(
                client.name, labels: client.labels, ip: client.ip, serviceAccount: client.serviceAccount,
                node: "node-a"))
        for backend in backends {
            try cluster.apply(
                FakeObjects.pod(
                    backend.pod.name, labels: backend.pod.labels, ip: backend.pod.ip,
                    serviceAccount: backend.pod.serviceAccount, node: backend.node))
        }
        let zones = Dictionary(uniqueKeysWithValues: Self.nodes.map { ($0.name, $0.zone) })
        try cluster.apply(
            FakeObjects.endpointSlice(
                "reviews-l0c4l", service: "reviews",
                endpoints: backends.map {
                    FakeSliceEndpoint($0.pod.ip, pod: $0.pod.name, node: $0.node, zone: zones[$0.node] ?? "")
                }))
        try cluster.apply(Self.outlierRule)
    }

    /// Waits (bounded) until a batch of requests all reach `pod`, then checks that a second batch does too.
    func expectAllTraffic(from client: Pod, reaches pod: String, _ what: String) async throws {
        _ = try await Poll.until("all traffic to \(pod) (\(what))", timeout: .seconds(20)) { () -> Bool? in
            let batch = try await client.sendRequests(to: Self.url, host: "reviews", count: 5, maxSeconds: 5)
            return batch.pods == [pod: 5] ? true : nil
        }
        let settled = try await client.sendRequests(to: Self.url, host: "reviews", count: 10, maxSeconds: 5)
        #expect(settled.pods == [pod: 10], "\(what): \(settled)")
    }
}
