import Foundation
import MeshTestSupport
import Testing

/// End to end: three meshd replicas on one etcd, two real Envoy sidecars (Delta ADS) whose xds-grpc cluster lists
/// all three, real HTTP between the pods. The replica serving the client is SIGKILLed while a paced loop sends
/// requests: none fails, both Envoys end up on survivors (as `meshd proxy-status --etcd-endpoints` shows), and the
/// failover re-sends no unchanged resource: the survivors' `meshd_xds_resources_sent` of CDS, EDS, LDS and RDS
/// does not move (a reconnecting Delta stream gets one empty response per type, carrying nothing).
@Suite("Envoys fail over between meshd replicas", .serialized, .tags(.e2e, .etcd, .envoy, .root))
struct EtcdReplicaFailoverEnvoyTests {
    static let clusterIP = "10.96.0.96"
    static let host = "echo.default.svc.cluster.local"
    /// The paced loop: 10 requests a second. 30 s rather than the 60 s: the reconnect takes a few seconds,
    /// so 30 s covers the kill, the reconnect and a long tail, on a shared 2-core machine.
    static let requestsPerSecond = 10
    static let trafficSeconds = 30
    /// Types whose unchanged resources must not be re-sent. SDS is left out: the survivor signs the workload
    /// certificate anew (each replica issues its own, from the shared root), which is new content, not a re-send.
    static let unchangedTypes = ["cds", "eds", "lds", "rds"]

    @Test("SIGKILL the serving replica under traffic: zero failed requests, reconnect to a survivor, nothing re-sent")
    func failoverUnderTraffic() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await MeshNetwork.with(label: "etcd-failover") { network in
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

            let set = try await ReplicaSet.start(["a", "b", "c"], etcd: etcd, in: network, leaseTTL: 3)
            let first = try set["a"]
            let others = [try set["b"], try set["c"]]
            try await server.startEchoServer(service: "echo", port: 9080)
            let sidecars = [
                try client.startSidecar(
                    bootstrapJSON: first.bootstrap(for: client, extraArguments: ["--delta"], replicas: others)),
                try server.startSidecar(
                    bootstrapJSON: first.bootstrap(for: server, extraArguments: ["--delta"], replicas: others)),
            ]
            for sidecar in sidecars { try await sidecar.waitUntilReady() }
            let url = "http://\(Self.clusterIP):9080/"
            _ = try await Poll.until("a 200 through the sidecars", timeout: .seconds(20)) {
                try await client.exchange(url, host: Self.host, perRequestTimeout: 3).responses.first?.status == 200
                    ? true : nil
            }
            let proxies = ["sleep.default", "echo.default"]
            let before = try await Poll.until("both proxies synced in proxy-status", timeout: .seconds(20)) {
                try Self.servingReplicas(set, proxies: proxies, among: set.ids)
            }
            let serving = try #require(before["sleep.default"])
            let survivors = set.ids.filter { $0 != serving }
            let sentBefore = try Self.resourcesSent(set, survivors)
            // The counter counts: the serving replica sent both proxies their whole initial sync.
            let initialSync = try Self.resourcesSent(set, [serving]).values.reduce(0, +)
            #expect(initialSync > 0, "meshd_xds_resources_sent shows no initial sync on \(serving)")

            let count = Self.requestsPerSecond * Self.trafficSeconds
            async let traffic = client.exchange(
                url, host: Self.host, count: count, capture: 0, maxSeconds: Double(Self.trafficSeconds + 15),
                perRequestTimeout: 3, interval: 1 / Double(Self.requestsPerSecond))
            try await Task.sleep(for: .seconds(5))
            try set[serving].process.killAbruptly()
            let killed = ContinuousClock.now
            let after = try await Poll.until(
                "both proxies synced on survivors \(survivors) after \(serving) was killed", timeout: .seconds(30)
            ) {
                try Self.servingReplicas(set, proxies: proxies, among: survivors)
            }
            let reconnected = ContinuousClock.now - killed
            let result = try await traffic
            print(
                "failover: killed \(serving), both proxies SYNCED on \(after) after \(reconnected); "
                    + "\(result.ok)/\(result.sent) requests OK; initial sync \(Int(initialSync)) resources")
            #expect(result.sent == count, "the loop sent \(result.sent) of \(count)")
            #expect(result.ok == result.sent, "failed requests during the failover: \(result)")
            #expect(result.errors.isEmpty, "\(result.errors)")
            #expect(after.values.allSatisfy { survivors.contains($0) }, "\(after)")

            let sentAfter = try Self.resourcesSent(set, survivors)
            #expect(sentAfter == sentBefore, "survivors re-sent resources on failover: \(sentBefore) -> \(sentAfter)")
            for sidecar in sidecars {
                #expect(try sidecar.counter("control_plane.connected_state") == 1, "\(sidecar.pod.name) not connected")
            }

            // A change written with `meshd apply` after the failover: every surviving replica records it in
            // /debug/changes, and the Envoys get it through the replica now serving them.
            let abort = network.scratchDirectory.appendingPathComponent("abort.yaml")
            try """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: echo, namespace: default}
            spec:
              hosts: [echo]
              http:
              - fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
                route: [{destination: {host: echo}}]

            """.write(to: abort, atomically: true, encoding: .utf8)
            let change = try Subprocess.run(
                [try MeshdProcess.executable(), "apply", "-f", abort.path, "--etcd-endpoints", etcd.url])
            try #require(change.succeeded, "\(change.stdout)\(change.stderr)")
            _ = try await Poll.until("the applied abort through the sidecars", timeout: .seconds(20)) {
                try await client.exchange(url, host: Self.host, perRequestTimeout: 3).responses.first?.status == 418
                    ? true : nil
            }
            for id in survivors {
                _ = try await Poll.until("/debug/changes of \(id) to show the VirtualService", timeout: .seconds(10)) {
                    try set[id].admin("/debug/changes").body.contains("VirtualService/default/echo") ? true : nil
                }
            }
        }
    }

    /// The replica serving each proxy, once every proxy is SYNCED on CDS, LDS, EDS and RDS on one of `among`.
    static func servingReplicas(
        _ set: ReplicaSet, proxies: [String], among: [String]
    ) throws -> [String: String]? {
        let rows = try set.proxyStatus()
        var serving: [String: String] = [:]
        for proxy in proxies {
            let live = rows.filter { $0["NAME"] == proxy && among.contains($0["REPLICA"] ?? "") }
            guard live.count == 1, let row = live.first,
                ["CDS", "LDS", "EDS", "RDS"].allSatisfy({ row[$0] == "SYNCED" })
            else { return nil }
            serving[proxy] = row["REPLICA"]
        }
        return serving
    }

    /// `meshd_xds_resources_sent` of the unchanged types on each replica.
    static func resourcesSent(_ set: ReplicaSet, _ ids: [String]) throws -> [String: Double] {
        var sent: [String: Double] = [:]
        for id in ids {
            for type in unchangedTypes {
                sent["\(id) \(type)"] = try set.metric("meshd_xds_resources_sent{type=\"\(type)\"}", of: id) ?? 0
            }
        }
        return sent
    }
}
