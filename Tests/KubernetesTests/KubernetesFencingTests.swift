import Foundation
import MeshTestSupport
import Registry
import Testing

/// A leader cut off from its Lease (every Lease request from it refused) while it can still reach everything else:
/// it stops writing status before its Lease can be taken, another replica takes the Lease once it expired, and at
/// no time does a replica write status while the fake's record says another holds the Lease.
@Suite(.serialized) struct KubernetesFencingTests {
    static let apiPort = 23040
    static let firstAdminPort = 23041
    static let leaseDuration = 3

    @Test func aLeaderThatCannotRenewStopsWritingBeforeItsLeaseCanBeTaken() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(KubernetesReplicaTests.virtualService("churn"))
        try await cluster.serving(port: Self.apiPort) { apiPort in
            try await KubernetesReplicaSet.with(
                ["a", "b"], apiPort: apiPort, firstAdminPort: Self.firstAdminPort,
                leaseDuration: .seconds(Self.leaseDuration), security: false, statusInterval: .milliseconds(50)
            ) { set in
                try await set.waitUntilReady()
                let leader = try await Poll.until("one leader", timeout: .seconds(15)) {
                    try set.agreedLeader(among: set.ids)
                }
                let follower = try #require(set.ids.first { $0 != leader })
                _ = try await Poll.until("the first status", timeout: .seconds(10)) {
                    KubernetesReplicaTests.condition(cluster, "churn")
                }

                // Changes keep coming, so a leader always has a status to write: every revision of the object has
                // a new generation to report. The leader is cut off from its Lease one second into them.
                var partitioned: ContinuousClock.Instant?
                let churn = ContinuousClock.now
                var revision = 1
                var steppedDown: ContinuousClock.Instant?
                var successorSince: ContinuousClock.Instant?
                while ContinuousClock.now - churn < .seconds(Self.leaseDuration * 5) {
                    revision += 1
                    try cluster.apply(KubernetesReplicaTests.virtualService("churn", revision: "\(revision)"))
                    // Slower than a status read and write, so that most writes are not refused as stale (409).
                    try await Task.sleep(for: .milliseconds(150))
                    if partitioned == nil, ContinuousClock.now - churn >= .seconds(1) {
                        cluster.refuse(kind: "Lease", userAgent: "meshd/\(leader)")
                        partitioned = .now
                    }
                    guard partitioned != nil else { continue }
                    if steppedDown == nil, try !set[leader].state.isLeader { steppedDown = .now }
                    if successorSince == nil, try set[follower].state.isLeader { successorSince = .now }
                    if let since = successorSince, ContinuousClock.now - since > .seconds(1) { break }
                }
                let cut = try #require(partitioned)
                // The fake's record of who held the Lease when, against every status write.
                let writes = cluster.writes
                let takeovers = writes.filter {
                    $0.path.contains("/leases") && $0.name == "meshd-leader" && (200..<300).contains($0.code)
                }
                func holder(at instant: ContinuousClock.Instant) -> String? {
                    takeovers.last { $0.at <= instant }?.holder
                }
                let statuses = writes.filter { $0.path.hasSuffix("/status") && $0.code == 200 }
                let offenders = statuses.filter { "meshd/\(holder(at: $0.at) ?? "-")" != $0.userAgent }
                #expect(offenders.isEmpty, "status written by a replica that did not hold the Lease: \(offenders)")
                let takeover = try #require(takeovers.first { $0.holder == follower }, "no takeover recorded")
                let late = statuses.filter { $0.userAgent == "meshd/\(leader)" && $0.at >= takeover.at }
                #expect(late.isEmpty, "the old leader wrote \(late.count) statuses after the takeover")
                let carriedOn = statuses.filter { $0.userAgent == "meshd/\(follower)" && $0.at > takeover.at }
                #expect(!carriedOn.isEmpty, "the new leader wrote no status")
                // The cut-off leader had something to write until it stepped down: the test can see a late write.
                #expect(statuses.contains { $0.userAgent == "meshd/\(leader)" && $0.at > cut })
                #expect(takeover.at - cut >= .seconds(Self.leaseDuration) - .milliseconds(700))
                let stepped = try #require(steppedDown, "the cut-off leader never stepped down")
                let successor = try #require(successorSince, "\(follower) never took over")
                print(
                    "fencing: \(leader) stepped down \(stepped - cut) after the cut, "
                        + "\(follower) led \(successor - cut) after it")
                #expect(stepped < successor, "the old leader still led when the new one started")
            }
        }
    }
}
