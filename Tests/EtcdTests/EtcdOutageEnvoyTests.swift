import EtcdClient
import Foundation
import MeshTestSupport
import Testing

/// End to end: two meshd replicas and two real Envoy sidecars, and etcd out of the replicas' reach for 30 s. The
/// replicas keep serving their last config and the traffic keeps flowing, `/ready` stays 200 and says etcd is
/// unreachable, and a change written meanwhile (on a port only the test reaches) arrives once etcd is back, with
/// no restart.
@Suite("replicas ride out an etcd outage", .serialized, .tags(.e2e, .etcd, .envoy, .root))
struct EtcdOutageEnvoyTests {
    static let clusterIP = "10.96.0.97"
    static let host = "echo.default.svc.cluster.local"
    static let outageSeconds = 30

    @Test("etcd gone for 30 s: traffic flows, /ready tells, a change made meanwhile arrives after")
    func etcdOutage() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await MeshNetwork.with(label: "etcd-outage") { network in
            let client = try network.addPod(name: "sleep", labels: ["app": "sleep"], serviceAccount: "sleep")
            let server = try network.addPod(name: "echo", labels: ["app": "echo"], serviceAccount: "echo")
            let config = network.scratchDirectory.appendingPathComponent("mesh.yaml")
            try """
            apiVersion: v1
            kind: Service
            metadata: {name: echo, namespace: default}
            spec:
              clusterIP: \(Self.clusterIP)
              selector: {app: echo}
              ports: [{name: http, port: 9080, targetPort: 9080}]
            ---
            \(Pod.workloadEntries([client, server]))
            """.write(to: config, atomically: true, encoding: .utf8)
            let applied = try Subprocess.run(
                [try MeshdProcess.executable(), "apply", "-f", config.path, "--etcd-endpoints", etcd.url])
            try #require(applied.succeeded, "\(applied.stdout)\(applied.stderr)")
            let set = try await ReplicaSet.start(["a", "b"], etcd: etcd, in: network, leaseTTL: 3)
            try await server.startEchoServer(service: "echo", port: 9080)
            let sidecars = [
                try client.startSidecar(
                    bootstrapJSON: try set["a"].bootstrap(
                        for: client, extraArguments: ["--delta"], replicas: [try set["b"]])),
                try server.startSidecar(
                    bootstrapJSON: try set["a"].bootstrap(
                        for: server, extraArguments: ["--delta"], replicas: [try set["b"]])),
            ]
            for sidecar in sidecars { try await sidecar.waitUntilReady() }
            let url = "http://\(Self.clusterIP):9080/"
            func status() async throws -> Int? {
                try await client.exchange(url, host: Self.host, perRequestTimeout: 3).responses.first?.status
            }
            _ = try await Poll.until("a 200 through the sidecars", timeout: .seconds(20)) {
                try await status() == 200 ? true : nil
            }

            // etcd comes back on the test's port only: the replicas cannot reach it.
            try await etcd.restart(reachable: false)
            let cut = ContinuousClock.now
            async let traffic = client.exchange(
                url, host: Self.host, count: Self.outageSeconds * 5, capture: 0,
                maxSeconds: Double(Self.outageSeconds + 10), perRequestTimeout: 3, interval: 0.2)
            for id in set.ids {
                let answer = try await Poll.until("/ready of \(id) to report etcd unreachable", timeout: .seconds(20)) {
                    let ready = try set[id].admin("/ready")
                    return ready.body.contains("etcd unreachable") ? ready : nil
                }
                #expect(answer.status == 200, "\(id) /ready: \(answer.status) \(answer.body)")
            }
            // A change made while the replicas cannot see it: every request gets a 418 once it arrives.
            let abort = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: echo, namespace: default}
                spec:
                  hosts: [echo]
                  http:
                  - fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
                    route: [{destination: {host: echo}}]

                """
            try await etcd.withSession { session in
                try await session.put(
                    EtcdFixtures.layout.key(
                        apiVersion: "networking.istio.io/v1", kind: "VirtualService", namespace: "default",
                        name: "echo"),
                    value: Array(abort.utf8))
            }
            let during = try await traffic
            #expect(during.ok == during.sent && during.sent > 0, "requests failed while etcd was away: \(during)")
            let remaining = Duration.seconds(Self.outageSeconds) - (ContinuousClock.now - cut)
            if remaining > .zero { try await Task.sleep(for: remaining) }
            #expect(try await status() == 200, "the change arrived before etcd was back")

            try await etcd.restart()
            _ = try await Poll.until("the change made during the outage to reach the Envoys", timeout: .seconds(60)) {
                try await status() == 418 ? true : nil
            }
            for id in set.ids {
                let ready = try await Poll.until("/ready of \(id) to stop reporting etcd", timeout: .seconds(30)) {
                    let ready = try set[id].admin("/ready")
                    return ready.body == "ready\n" ? ready : nil
                }
                #expect(ready.status == 200)
                try set[id].process.checkRunning()
            }
        }
    }
}
