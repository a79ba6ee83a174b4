import Foundation
import MeshTestSupport
import Testing

/// WorkloadEntry auto-registration through real Envoys: a pod standing for a VM starts its Envoy with node metadata
/// `AUTO_REGISTER_GROUP` (`meshd bootstrap --auto-register-group`) and no WorkloadEntry of its own; meshd registers
/// one from the WorkloadGroup's template and metadata, a Service selecting the group's labels gets the VM as its
/// endpoint, and a client's sidecar routes real HTTP to it over mutual TLS (the template's service account). Once the
/// VM's Envoy stops, the entry outlives it for the grace period (`--workload-entry-grace-period`), then goes, and the
/// client's requests find no endpoint.
@Suite("WorkloadGroup auto-registration", .serialized, .tags(.e2e))
struct WorkloadAutoRegistrationTests {
    static let clusterIP = "10.96.0.97"
    static let host = "cart.default.svc.cluster.local"
    static let gracePeriod = 3

    static func config(client: Pod) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: cart, namespace: default}
        spec:
          clusterIP: \(clusterIP)
          selector: {app: cart}
          ports: [{name: http, port: 9080, targetPort: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadGroup
        metadata: {name: cart-vms, namespace: default}
        spec:
          metadata:
            labels: {app: cart, deployment: vm}
            annotations: {owner: payments}
          template:
            serviceAccount: cart
            labels: {version: v1}
        ---
        \(client.workloadEntryYAML)
        """
    }

    /// `/debug/autoregistrationz` as JSON objects.
    static func registrations(_ meshd: MeshdProcess) throws -> [[String: Any]] {
        let response = try meshd.admin("/debug/autoregistrationz")
        guard response.status == 200, let list = try response.json() as? [[String: Any]] else {
            throw HarnessError("/debug/autoregistrationz answered \(response.status): \(response.body.prefix(300))")
        }
        return list
    }

    @Test("a VM's Envoy registers from its WorkloadGroup, is routed to, and is removed after the grace period")
    func autoRegistration() async throws {
        try await MeshNetwork.with(label: "autoreg") { network in
            let client = try network.addPod(name: "sleep", labels: ["app": "sleep"], serviceAccount: "sleep")
            // The VM's own labels reach meshd only through its node metadata (LABELS); no WorkloadEntry names it.
            let vm = try network.addPod(name: "vm", labels: ["zone": "dc1"], serviceAccount: "cart")
            let meshd = try await MeshdProcess.start(
                in: network, configFiles: ["mesh.yaml": Self.config(client: client)],
                extraArguments: ["--workload-entry-grace-period", "\(Self.gracePeriod)s"])
            try await vm.startEchoServer(service: "cart", port: 9080)
            #expect(try Self.registrations(meshd).isEmpty)

            let vmSidecar = try vm.startSidecar(
                bootstrapJSON: meshd.bootstrap(for: vm, extraArguments: ["--auto-register-group", "cart-vms"]))
            let clientSidecar = try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client))
            try await clientSidecar.waitUntilReady()
            try await vmSidecar.waitUntilReady()

            let registered = try await Poll.until(
                "the VM's WorkloadEntry in /debug/autoregistrationz", timeout: .seconds(20)
            ) {
                try Self.registrations(meshd).first
            }
            #expect(registered["name"] as? String == "cart-vms-\(vm.ip)")
            #expect(registered["address"] as? String == vm.ip)
            #expect(
                registered["labels"] as? [String: String]
                    == ["app": "cart", "deployment": "vm", "version": "v1", "zone": "dc1"])
            #expect((registered["annotations"] as? [String: String])?["istio.io/autoRegistrationGroup"] == "cart-vms")
            #expect(registered["serviceAccount"] as? String == "cart")

            let url = "http://\(Self.clusterIP):9080/vm"
            let routed = try await Poll.until("a 200 from the auto-registered VM", timeout: .seconds(30)) {
                let traffic = try await client.exchange(
                    url, host: Self.host, count: 5, capture: 5, perRequestTimeout: 3)
                return traffic.ok == 5 ? traffic : nil
            }
            #expect(routed.responses.allSatisfy { $0.echo?.pod == "vm" }, "\(routed)")
            // The VM's sidecar terminated mutual TLS with the template's identity: the client's cluster sends TLS.
            let dump = try clientSidecar.admin("/config_dump?resource=dynamic_active_clusters")
            #expect(dump.body.contains("spiffe://cluster.local/ns/default/sa/cart"), "\(dump.body.prefix(400))")

            // The VM goes away: the entry stays for the grace period, then leaves the registry and the client.
            let stopped = ContinuousClock.now
            vmSidecar.process.stop()
            let leaving = try await Poll.until("the entry to show its disconnection", timeout: .seconds(10)) {
                let entry = try Self.registrations(meshd).first
                return entry?["disconnectedAt"] is String ? entry : nil
            }
            #expect(leaving["removalAt"] is String)
            _ = try await Poll.until("the entry to be removed", timeout: .seconds(Self.gracePeriod + 10)) {
                try Self.registrations(meshd).isEmpty ? true : nil
            }
            let removedAfter = ContinuousClock.now - stopped
            #expect(removedAfter >= .seconds(Self.gracePeriod), "removed before the grace period: \(removedAfter)")
            let registry = try meshd.admin("/debug/registryz").body
            #expect(!registry.contains(vm.ip), "the VM is still an endpoint: \(registry.prefix(600))")
            let gone = try await Poll.until("the client to find no endpoint", timeout: .seconds(20)) {
                let traffic = try await client.exchange(url, host: Self.host, perRequestTimeout: 3)
                return traffic.responses.first?.status == 503 ? traffic : nil
            }
            print(
                "WorkloadAutoRegistration: routed \(routed.ok)/5 to the VM; entry removed \(removedAfter) after its "
                    + "Envoy stopped (grace period \(Self.gracePeriod) s); then \(gone.responses.first?.status ?? 0)")
        }
    }
}
