import Foundation
import MeshTestSupport
import Testing

/// A real Envoy routed by configuration that meshd reads from a (fake) Kubernetes API server: `meshd serve
/// --kubeconfig` in the root namespace watches the fake on 127.0.0.1; the sidecars reach meshd over its UNIX socket
/// with bootstrap tokens, as in the other end-to-end tests.
@Suite("Kubernetes source end to end (fake API server + meshd + real Envoys)", .serialized, .tags(.e2e))
struct KubernetesE2ETests {
    static let clusterIP = "10.96.0.30"

    @Test("a VirtualService created and then updated through the API server routes and re-routes real requests")
    func virtualServiceFromTheAPIServerRoutesTraffic() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("default"))
        try await cluster.serving { apiPort in
            try await MeshNetwork.with(label: "k8s") { network in
                let client = try network.addPod(name: "client", labels: ["app": "client"], serviceAccount: "client")
                var backends: [Pod] = []
                for version in ["v1", "v2"] {
                    backends.append(
                        try network.addPod(
                            name: "reviews-\(version)", labels: ["app": "reviews", "version": version],
                            serviceAccount: "bookinfo-reviews"))
                }
                try seed(cluster, backends: backends)
                let kubeconfig = network.scratchDirectory.appendingPathComponent("kubeconfig")
                try Self.kubeconfig(apiPort: apiPort).write(to: kubeconfig, atomically: true, encoding: .utf8)
                let meshd = try await MeshdProcess.start(
                    in: network, configFiles: [:], extraArguments: ["--kubeconfig", kubeconfig.path])
                for pod in backends { _ = try await pod.startEchoServer(service: "reviews") }
                var sidecars: [Sidecar] = []
                for pod in [client] + backends {
                    sidecars.append(try pod.startSidecar(bootstrapJSON: meshd.bootstrap(for: pod)))
                }
                for sidecar in sidecars { try await sidecar.waitUntilReady() }

                // Created through the API server: jason goes to v2, everyone else to v1.
                try cluster.apply(Self.virtualService(jasonTo: "v2", othersTo: "v1"))
                try await expectRouting(from: client, jason: "reviews-v2", others: "reviews-v1")
                // Updated through the API server: the subsets swap.
                try cluster.apply(Self.virtualService(jasonTo: "v1", othersTo: "v2"))
                try await expectRouting(from: client, jason: "reviews-v1", others: "reviews-v2")
            }
        }
    }

    /// The Service, a Pod per backend, the EndpointSlice that lists them, and the DestinationRule's subsets.
    func seed(_ cluster: FakeKubernetes, backends: [Pod]) throws {
        try cluster.apply(FakeObjects.service("reviews", clusterIP: Self.clusterIP))
        for pod in backends {
            try cluster.apply(
                FakeObjects.pod(pod.name, labels: pod.labels, ip: pod.ip, serviceAccount: pod.serviceAccount))
        }
        try cluster.apply(
            FakeObjects.endpointSlice(
                "reviews-x7k2p", service: "reviews",
                endpoints: backends.map { FakeSliceEndpoint($0.ip, pod: $0.name) }))
        try cluster.apply(FakeObjects.destinationRule("reviews", host: "reviews", subsets: ["v1", "v2"]))
    }

    /// Waits (bounded) until requests with `end-user: jason` all reach `jason` and the others all reach `others`.
    func expectRouting(from client: Pod, jason: String, others: String) async throws {
        let url = "http://\(Self.clusterIP):9080/reviews/1"
        _ = try await Poll.until("jason → \(jason), others → \(others)", timeout: .seconds(10)) { () -> Bool? in
            let tagged = try await client.sendRequests(
                to: url, host: "reviews", headers: ["end-user": "jason"], count: 5, maxSeconds: 5)
            let plain = try await client.sendRequests(to: url, host: "reviews", count: 5, maxSeconds: 5)
            return tagged.pods == [jason: 5] && plain.pods == [others: 5] ? true : nil
        }
        let settled = try await client.sendRequests(
            to: url, host: "reviews", headers: ["end-user": "jason"], count: 10, maxSeconds: 5)
        #expect(settled.pods == [jason: 10], "\(settled)")
    }

    /// A VirtualService in the JSON the API server returns: a header match on `end-user: jason`, then a default.
    static func virtualService(jasonTo jasonSubset: String, othersTo otherSubset: String) -> String {
        """
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"reviews",\
        "namespace":"default","generation":1},"spec":{"hosts":["reviews"],"http":[\
        {"name":"jason","match":[{"headers":{"end-user":{"exact":"jason"}}}],\
        "route":[{"destination":{"host":"reviews","subset":"\(jasonSubset)"}}]},\
        {"name":"default","route":[{"destination":{"host":"reviews","subset":"\(otherSubset)"}}]}]}}
        """
    }

    /// A kubeconfig whose current context is the fake API server, with a bearer token as most clusters use.
    static func kubeconfig(apiPort: Int) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: fake
        clusters:
        - name: fake
          cluster:
            server: http://127.0.0.1:\(apiPort)
        contexts:
        - name: fake
          context:
            cluster: fake
            user: e2e
        users:
        - name: e2e
          user:
            token: e2e-token
        """
    }
}
