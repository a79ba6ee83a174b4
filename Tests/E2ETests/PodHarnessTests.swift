import Foundation
import MeshTestSupport
import Testing

/// The pod harness on its own, with static passthrough Envoys and no meshd: pods are namespaces with Istio's
/// interception, traffic between them goes through both sidecars, and teardown leaves nothing behind.
@Suite("Pod harness (namespaces, iptables, sidecar Envoy)", .serialized, .tags(.e2e))
struct PodHarnessTests {
    @Test("a request from one pod to another is intercepted by both sidecars and reaches the app")
    func interceptionThroughBothSidecars() async throws {
        var namespaces: [String] = []
        try await MeshNetwork.with(label: "harness") { network in
            let client = try network.addPod(name: "client", labels: ["app": "client"])
            let server = try network.addPod(name: "server", labels: ["app": "server"])
            namespaces = [network.hubNetns, client.netns, server.netns]
            #expect(Set(network.remainingNamespaces()) == Set(namespaces))

            try await server.startEchoServer(service: "server")
            let clientSidecar = try client.startSidecar(bootstrapJSON: PassthroughBootstrap.json(nodeID: client.nodeID))
            let serverSidecar = try server.startSidecar(bootstrapJSON: PassthroughBootstrap.json(nodeID: server.nodeID))
            try await clientSidecar.waitUntilReady()
            try await serverSidecar.waitUntilReady()

            let summary = try await client.sendRequests(
                to: "http://\(server.ip):9080/hello", host: "server", headers: ["x-test": "harness"], count: 5,
                maxSeconds: 10)
            #expect(summary.ok == 5, "\(summary)")
            #expect(summary.pods == ["server": 5], "\(summary)")
            let reply = try #require(summary.samples.first)
            #expect(reply.path == "/hello")
            #expect(reply.headers["x-test"] == "harness")

            // The app got the traffic only because iptables handed it to each Envoy: 15001 in the client pod,
            // 15006 in the server pod.
            #expect(try clientSidecar.counter("tcp.outbound.downstream_cx_total") >= 1)
            #expect(try clientSidecar.counter("tcp.inbound.downstream_cx_total") == 0)
            #expect(try serverSidecar.counter("tcp.inbound.downstream_cx_total") >= 1)

            // Envoy runs as the proxy uid, so its own upstream connections were not redirected into itself.
            let status = try String(contentsOfFile: "/proc/\(clientSidecar.pid)/status", encoding: .utf8)
            #expect(status.contains("Uid:\t1337\t1337"), "Envoy does not run as uid 1337")
        }
        #expect(!namespaces.isEmpty)
        let left = Set(MeshNetwork.namespacesOnMachine()).intersection(namespaces)
        #expect(left.isEmpty, "teardown left namespaces behind: \(left)")
    }

    @Test("teardown runs when the test body throws")
    func teardownOnFailure() async throws {
        struct Deliberate: Error {}
        var namespaces: [String] = []
        var echo: ManagedProcess?
        await #expect(throws: Deliberate.self) {
            try await MeshNetwork.with(label: "teardown") { network in
                let pod = try network.addPod(name: "doomed")
                namespaces = [network.hubNetns, pod.netns]
                echo = try await pod.startEchoServer(service: "doomed")
                throw Deliberate()
            }
        }
        #expect(namespaces.count == 2)
        #expect(Set(MeshNetwork.namespacesOnMachine()).isDisjoint(with: namespaces))
        #expect(echo?.isRunning == false, "the backend survived teardown")
    }
}
