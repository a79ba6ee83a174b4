import EtcdClient
import Foundation
import MeshModel
import Registry
import Testing

/// Leader election on a real etcd: create-if-absent on the leader key with a lease, the loser learning the holder,
/// the key going with the lease, and writes fenced by the key so that a deposed leader's write fails.
@Suite("leader election on etcd", .tags(.etcd), .serialized)
struct EtcdElectionTests {
    static let election = EtcdElection(key: "/meshd/_leader")

    @Test("one candidate wins; when its lease ends the other wins, and the deposed leader's fenced write fails")
    func fencedWritesOfADeposedLeaderFail() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await etcd.withSession { session in
            let leaseA = try await session.grantLease(ttl: .seconds(30)).id
            let leaseB = try await session.grantLease(ttl: .seconds(30)).id
            guard case .won(let a) = try await Self.election.campaign(session, lease: leaseA, value: Array("a".utf8))
            else {
                Issue.record("the first candidate did not win an empty key")
                return
            }
            guard
                case .lost(let holder) = try await Self.election.campaign(
                    session, lease: leaseB, value: Array("b".utf8))
            else {
                Issue.record("the second candidate won a held key")
                return
            }
            #expect(String(decoding: holder.value, as: UTF8.self) == "a")
            #expect(holder.lease == leaseA)
            // Campaigning again with the lease that holds the key is the same leadership, not a second one.
            #expect(try await Self.election.campaign(session, lease: leaseA, value: Array("a".utf8)) == .won(a))

            let dutyKey = "/meshd/_status/duty"
            #expect(
                try await EtcdElection.fencedWrite(
                    session, leadership: a, operations: [.put(dutyKey, value: Array("a1".utf8))]))

            // A's lease ends (as when A dies and its TTL runs out): etcd deletes the key; B, watching, sees it.
            async let vacated: Void = Self.election.waitUntilChanged(session, after: holder.modRevision)
            try await session.revokeLease(leaseA)
            try await vacated
            guard case .won(let b) = try await Self.election.campaign(session, lease: leaseB, value: Array("b".utf8))
            else {
                Issue.record("the second candidate did not win the vacated key")
                return
            }
            #expect(b.createRevision > a.createRevision)

            // A, not knowing it was deposed, writes: refused as a whole, nothing written.
            let refused = try await EtcdElection.fencedWrite(
                session, leadership: a,
                operations: [.put(dutyKey, value: Array("a2".utf8)), .delete("/meshd/_status/other")])
            #expect(!refused, "a deposed leader's fenced write succeeded")
            #expect(try await session.get(dutyKey).map { String(decoding: $0.value, as: UTF8.self) } == "a1")
            #expect(
                try await EtcdElection.fencedWrite(
                    session, leadership: b, operations: [.put(dutyKey, value: Array("b1".utf8))]))
            #expect(try await session.get(dutyKey).map { String(decoding: $0.value, as: UTF8.self) } == "b1")

            // Even with A's lease ID, a key created again later is another leadership: the create revision fences.
            let stale = EtcdElection.Leadership(key: b.key, lease: b.lease, createRevision: b.createRevision - 1)
            #expect(
                try await !EtcdElection.fencedWrite(session, leadership: stale, operations: [.put(dutyKey, value: [])]))
        }
    }

    @Test("the leader writes each etcd key's validation status once, and only what changed")
    func configStatusReport() throws {
        let layout = EtcdFixtures.layout
        let good = EtcdFixtures.vsKey("reviews")
        let bad = EtcdFixtures.vsKey("ratings")
        let decoded = ConfigDecoder.decode(
            bytes: Array(EtcdFixtures.virtualService(rev: "1").utf8), file: EtcdObjectDecoder.fileName(forKey: good))
        let object = try #require(decoded.objects.first)
        let diagnostics = [
            ConfigDiagnostic(
                file: EtcdObjectDecoder.fileName(forKey: bad), document: 1,
                object: ResourceKey(kind: .virtualService, namespace: "default", name: "ratings"),
                fieldPath: "spec.http[0].route[0].weight", reason: "must be between 0 and 100", severity: .error),
            ConfigDiagnostic(file: "/etc/meshd/local.yaml", document: 1, fieldPath: "", reason: "x", severity: .error),
        ]
        let statuses = ConfigStatusReport.statuses(objects: [object], diagnostics: diagnostics, layout: layout)
        #expect(statuses.count == 2, "a file's diagnostic is not an etcd key's status: \(statuses.keys.sorted())")
        let goodStatus = statuses["/meshd/_status/networking.istio.io/v1/VirtualService/default/reviews"]
        #expect(goodStatus?.state == "Accepted" && goodStatus?.inForce == true)
        let badStatus = try #require(statuses["/meshd/_status/networking.istio.io/v1/VirtualService/default/ratings"])
        #expect(badStatus.state == "Refused" && !badStatus.inForce)
        #expect(
            badStatus.errors == [.init(fieldPath: "spec.http[0].route[0].weight", reason: "must be between 0 and 100")])
        #expect(badStatus.object == "VirtualService/default/ratings")
        // Stable bytes: an unchanged status is never written again.
        #expect(ConfigStatusReport.encode(badStatus) == ConfigStatusReport.encode(badStatus))
        // The status keys are meshd's own: the config source ignores them.
        #expect(
            layout.entry(forKey: "/meshd/_status/networking.istio.io/v1/VirtualService/default/reviews") == .reserved)
    }
}
