import EtcdClient
import Foundation
import MeshTestSupport
import Registry
import Testing

/// Three `meshd serve` replicas on one real etcd: one leader, agreed by all; the leader's duty (each etcd key's
/// validation status under `<prefix>/_status/`) written once; SIGKILL the leader and another is elected within the
/// lease TTL, rewrites nothing, and carries the duty on, still once.
@Suite("leader election across meshd replicas", .serialized, .tags(.e2e, .etcd, .root))
struct EtcdLeaderFailoverTests {
    static let leaseTTL = 3

    @Test("one leader; SIGKILLed, it is replaced within the lease TTL and the status duty runs once only")
    func leaderFailover() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let layout = EtcdFixtures.layout
        // One valid object and one that the validator refuses, both in etcd before the replicas start.
        try await etcd.withSession { session in
            try await session.put(
                EtcdFixtures.vsKey("reviews"), value: Array(EtcdFixtures.virtualService(rev: "1").utf8))
            try await session.put(
                EtcdFixtures.vsKey("broken"), value: Array(EtcdFixtures.invalidVirtualService(name: "broken").utf8))
        }
        try await MeshNetwork.with(label: "etcd-leader") { network in
            let set = try await ReplicaSet.start(["a", "b", "c"], etcd: etcd, in: network, leaseTTL: Self.leaseTTL)
            let leader = try await Poll.until("one leader that all three replicas agree on", timeout: .seconds(20)) {
                try set.agreedLeader(among: set.ids)
            }
            let leaderMetrics = try set.ids.map { try set.leaderMetric($0) ?? -1 }
            #expect(leaderMetrics.reduce(0, +) == 1, "meshd_leader over the replicas: \(leaderMetrics)")
            let registered = try await Poll.until("all three replicas in the registry", timeout: .seconds(10)) {
                let members = try set.view(leader).replicas
                return members.count == 3 ? members : nil
            }
            #expect(registered.map(\.record.id) == ["a", "b", "c"])
            // The watch-lag probe: each replica's own registry writes come back through its config watch.
            let lag = try await Poll.until("a measured etcd watch lag on \(leader)", timeout: .seconds(10)) {
                try set.view(leader).watchLagSeconds
            }
            #expect(lag >= 0 && lag < Double(Self.leaseTTL), "watch lag \(lag) s")
            #expect(try set.metric("meshd_etcd_watch_lag_seconds", of: leader) != nil)
            print("etcd watch lag on \(leader): \(lag) s")
            #expect(registered.allSatisfy { $0.record.admin?.hasPrefix("http://127.0.0.1:") == true })
            let stored = try await etcd.withSession { try await $0.get(layout.reservedKey("leader")) }
            #expect(stored.map { String(decoding: $0.value, as: UTF8.self) } == leader)

            let reviewsStatus = "/meshd/_status/networking.istio.io/v1/VirtualService/default/reviews"
            let brokenStatus = "/meshd/_status/networking.istio.io/v1/VirtualService/default/broken"
            let before = try await Poll.until("the leader to write both statuses", timeout: .seconds(15)) {
                try await Self.statuses(etcd, [reviewsStatus, brokenStatus])
            }
            let accepted = try ConfigStatusReport.Status.decoded(before[reviewsStatus]?.value)
            #expect(accepted.state == "Accepted" && accepted.inForce)
            let refused = try ConfigStatusReport.Status.decoded(before[brokenStatus]?.value)
            #expect(refused.state == "Refused" && !refused.inForce)
            #expect(refused.errors.contains { $0.fieldPath.hasSuffix("weight") }, "\(refused.errors)")
            // Three replicas, one writer: each status was written once.
            #expect(before.values.map(\.version) == [1, 1], "\(before.mapValues(\.version))")

            // The leader dies without a word: its lease runs out, and another replica takes the key.
            try set[leader].process.killAbruptly()
            let killed = ContinuousClock.now
            let survivors = set.ids.filter { $0 != leader }
            let successor = try await Poll.until(
                "a new leader among \(survivors)", timeout: .seconds(Self.leaseTTL * 4), interval: .milliseconds(100)
            ) {
                try set.agreedLeader(among: survivors)
            }
            let elapsed = ContinuousClock.now - killed
            print(
                "leader failover: \(leader) killed, \(successor) leads after \(elapsed) (lease TTL \(Self.leaseTTL) s)")
            // Bounded by the lease: at most one TTL after the last renewal, plus the poll's own delay.
            #expect(elapsed < .seconds(Self.leaseTTL + 2), "a new leader after \(elapsed)")
            #expect(try set.leaderMetric(successor) == 1)
            let registry = try await Poll.until("the dead replica's registry key to go", timeout: .seconds(10)) {
                let ids = try set.view(successor).replicas.map(\.record.id)
                return ids.contains(leader) ? nil : ids
            }
            #expect(registry == survivors)

            // The duty carries on under the new leader, once: a new object's status appears, written once, and the
            // statuses from before were not rewritten.
            try await etcd.withSession { session in
                try await session.put(
                    EtcdFixtures.vsKey("ratings"),
                    value: Array(EtcdFixtures.virtualService(name: "ratings", rev: "1").utf8))
            }
            let ratingsStatus = "/meshd/_status/networking.istio.io/v1/VirtualService/default/ratings"
            _ = try await Poll.until("the new leader to write the new object's status", timeout: .seconds(15)) {
                try await Self.statuses(etcd, [ratingsStatus])
            }
            // Several status intervals, for a second writer to show itself.
            try await Task.sleep(for: .seconds(1))
            let after = try await Self.statuses(etcd, [reviewsStatus, brokenStatus, ratingsStatus]) ?? [:]
            #expect(after[ratingsStatus]?.version == 1)
            #expect(after[reviewsStatus]?.modRevision == before[reviewsStatus]?.modRevision, "rewritten after failover")
            #expect(after[brokenStatus]?.modRevision == before[brokenStatus]?.modRevision, "rewritten after failover")
            let followerMetric = try set.leaderMetric(survivors.first { $0 != successor } ?? successor)
            #expect(followerMetric == 0)
        }
    }

    /// The keys, once all exist.
    static func statuses(_ etcd: EtcdServer, _ keys: [String]) async throws -> [String: EtcdKeyValue]? {
        try await etcd.withSession { session in
            var found: [String: EtcdKeyValue] = [:]
            for key in keys {
                guard let value = try await session.get(key) else { return nil }
                found[key] = value
            }
            return found
        }
    }
}

extension ConfigStatusReport.Status {
    static func decoded(_ bytes: [UInt8]?) throws -> Self {
        guard let bytes else { throw HarnessError("no status stored") }
        return try JSONDecoder().decode(Self.self, from: Data(bytes))
    }
}
