import Foundation
import MeshTestSupport
import Testing

/// A VM without a sidecar, registered as a WorkloadEntry with a service account and `security.istio.io/tlsMode:
/// disabled`, as istiod users label one: the client's sidecar (with mutual TLS on) must speak plaintext to it, not
/// mTLS it cannot terminate (which ended in 503). The same pod relabelled `istio` gets mTLS, which it refuses.
@Suite("Plaintext WorkloadEntry (tlsMode disabled)", .serialized, .tags(.e2e))
struct TrafficPlaintextWorkloadTests {
    static let clusterIP = "10.96.0.95"
    static let host = "legacy.default.svc.cluster.local"

    static func config(client: Pod, vm: Pod, tlsMode: String) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: legacy, namespace: default}
        spec:
          clusterIP: \(clusterIP)
          selector: {app: legacy}
          ports: [{name: http, port: 9080, targetPort: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(vm.name), namespace: default}
        spec:
          address: \(vm.ip)
          serviceAccount: \(vm.serviceAccount)
          labels: {app: legacy, security.istio.io/tlsMode: \(tlsMode)}
        ---
        \(client.workloadEntryYAML)
        """
    }

    @Test("a WorkloadEntry labelled tlsMode disabled is reached in plaintext; labelled istio it is sent mTLS")
    func plaintextWorkloadEntry() async throws {
        try await MeshNetwork.with(label: "plainvm") { network in
            let client = try network.addPod(name: "sleep", labels: ["app": "sleep"], serviceAccount: "sleep")
            let vm = try network.addPod(name: "vm", labels: ["app": "legacy"], serviceAccount: "legacy")
            try vm.removeInterception()  // no sidecar on the VM
            let meshd = try await MeshdProcess.start(
                in: network, configFiles: ["mesh.yaml": Self.config(client: client, vm: vm, tlsMode: "disabled")])
            try await vm.startEchoServer(service: "legacy", port: 9080)
            let sidecar = try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client))
            try await sidecar.waitUntilReady()

            let url = "http://\(Self.clusterIP):9080/vm"
            let plaintext = try await Poll.until("a 200 from the plaintext VM", timeout: .seconds(20)) {
                let traffic = try await client.exchange(
                    url, host: Self.host, count: 5, capture: 5, perRequestTimeout: 3)
                return traffic.ok == 5 ? traffic : nil
            }
            #expect(plaintext.responses.allSatisfy { $0.echo?.pod == "vm" }, "\(plaintext)")
            let dump = try sidecar.admin("/config_dump?resource=dynamic_active_clusters")
            let configs =
                (try JSONSerialization.jsonObject(with: Data(dump.body.utf8)) as? [String: Any])?["configs"]
                as? [[String: Any]]
            let cluster = try #require(
                configs?.compactMap { $0["cluster"] as? [String: Any] }.first {
                    $0["name"] as? String == "outbound|9080||\(Self.host)"
                },
                "the client has no cluster for the VM: \(dump.body.prefix(500))")
            #expect(cluster["transport_socket"] == nil, "a plaintext cluster expected: \(cluster)")

            // The control: the same VM labelled istio is sent mutual TLS, which a process without a sidecar refuses.
            try meshd.writeConfig("mesh.yaml", Self.config(client: client, vm: vm, tlsMode: "istio"))
            let refused = try await Poll.until("mTLS towards the VM once it is labelled istio", timeout: .seconds(20)) {
                let traffic = try await client.exchange(url, host: Self.host, perRequestTimeout: 3)
                return traffic.responses.first?.status == 503 ? traffic : nil
            }
            print(
                "TrafficPlaintextWorkload: tlsMode disabled: \(plaintext.ok)/5 OK; tlsMode istio: \(refused.responses.first?.status ?? 0)"
            )
        }
    }
}
