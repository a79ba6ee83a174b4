import Foundation
import MeshTestSupport
import Synchronization
import Testing

@testable import Registry

/// The fake API server's `coordination.k8s.io/v1` Leases, through meshd's own Lease client: create refuses an
/// existing Lease (409 AlreadyExists), an update with a stale resourceVersion is refused (409 Conflict), a no-op
/// update keeps the resourceVersion, watches see the changes, and the election's decisions follow client-go's.
@Suite(.serialized) struct LeaseTests {
    static let port = 23010

    func withLeases(_ body: @Sendable (FakeKubernetes, LeaseClient) async throws -> Void) async throws {
        let cluster = FakeKubernetes()
        try await cluster.serving(port: Self.port) { port in
            try await KubernetesClient.with(KubernetesConnection(server: "http://127.0.0.1:\(port)")) { client in
                try await body(cluster, LeaseClient(client: client))
            }
        }
    }

    static func lease(_ holder: String, name: String = "meshd-leader") -> KubernetesLease {
        var lease = KubernetesLease(namespace: "istio-system", name: name)
        lease.holderIdentity = holder
        lease.leaseDurationSeconds = 10
        lease.acquireTime = Date()
        lease.renewTime = Date()
        lease.leaseTransitions = 0
        return lease
    }

    @Test func createGetUpdateConflictAndDelete() async throws {
        try await withLeases { cluster, leases in
            #expect(try await leases.get(namespace: "istio-system", name: "meshd-leader") == nil)
            let created = try await leases.create(Self.lease("a"))
            #expect(!created.resourceVersion.isEmpty)
            #expect(
                created.holderIdentity == "a" && created.leaseDurationSeconds == 10 && created.leaseTransitions == 0)
            await #expect(throws: LeaseClient.AlreadyExists.self) { _ = try await leases.create(Self.lease("b")) }

            let read = try #require(try await leases.get(namespace: "istio-system", name: "meshd-leader"))
            #expect(read.resourceVersion == created.resourceVersion)
            // MicroTime survives the round trip to the microsecond.
            let written = try #require(created.renewTime)
            #expect(abs(try #require(read.renewTime).timeIntervalSince(written)) < 0.000_002)

            var renewed = read
            renewed.renewTime = Date().addingTimeInterval(1)
            let afterRenewal = try await leases.update(renewed)
            #expect(Int(afterRenewal.resourceVersion) ?? 0 > Int(read.resourceVersion) ?? 0)

            // A writer that read before the renewal is refused, and nothing changes.
            var stale = read
            stale.holderIdentity = "b"
            await #expect(throws: LeaseClient.Conflict.self) { _ = try await leases.update(stale) }
            let current = try #require(try await leases.get(namespace: "istio-system", name: "meshd-leader"))
            #expect(current.holderIdentity == "a" && current.resourceVersion == afterRenewal.resourceVersion)

            // The same content again is a no-op: no new resourceVersion.
            #expect(try await leases.update(current).resourceVersion == current.resourceVersion)

            // Without a resourceVersion the update is unconditional.
            var unconditional = current
            unconditional.resourceVersion = ""
            unconditional.leaseTransitions = 5
            #expect(try await leases.update(unconditional).leaseTransitions == 5)

            // Updating a Lease that does not exist is 404, not a create.
            await #expect(throws: KubernetesError.self) { _ = try await leases.update(Self.lease("c", name: "absent")) }
            try await leases.delete(namespace: "istio-system", name: "meshd-leader")
            #expect(try await leases.get(namespace: "istio-system", name: "meshd-leader") == nil)
            try await leases.delete(namespace: "istio-system", name: "meshd-leader")

            let codes = cluster.writes.filter { $0.path.contains("/leases") }.map(\.code)
            #expect(codes == [201, 409, 200, 409, 200, 200, 404, 200, 404], "\(codes)")
        }
    }

    @Test func listFiltersByLabelAndWatchSeesChanges() async throws {
        try await withLeases { _, leases in
            var replica = Self.lease("a", name: "meshd-replica-a")
            replica.labels = ["meshd.io/role": "replica"]
            _ = try await leases.create(replica)
            let other = try await leases.create(Self.lease("x", name: "someone-else"))
            let listed = try await leases.list(namespace: "istio-system", labels: ["meshd.io/role": "replica"])
            #expect(listed.map(\.name) == ["meshd-replica-a"])

            let kind = KubernetesKind(
                group: "coordination.k8s.io", version: "v1", kind: "Lease", resource: "leases", isCustomResource: false,
                isModelled: false)
            var modified = other
            modified.holderIdentity = "y"
            _ = try await leases.update(modified)
            struct Enough: Error {}
            let seen = Mutex<[String]>([])
            await #expect(throws: Enough.self) {
                try await leases.client.watch(kind, from: other.resourceVersion) { event in
                    if case .modified(let object) = event { seen.withLock { $0.append(object.name) } }
                    throw Enough()
                }
            }
            #expect(seen.withLock { $0 } == ["someone-else"])
        }
    }

    @Test func electionTakesAnAbsentOrExpiredLeaseAndWaitsForALiveOne() async throws {
        try await withLeases { _, leases in
            var a = LeaseElection(
                namespace: "istio-system", name: "meshd-leader", identity: "a", leaseDuration: .seconds(4))
            var b = LeaseElection(
                namespace: "istio-system", name: "meshd-leader", identity: "b", leaseDuration: .seconds(4))
            let t0 = ContinuousClock.now
            // Absent: both decide to create; the API server lets one win.
            guard case .create(let offerA) = a.next(read: nil, now: t0),
                case .create(let offerB) = b.next(read: nil, now: t0)
            else {
                Issue.record("an absent lease is created")
                return
            }
            a.stored(try await leases.create(offerA), at: t0)
            await #expect(throws: LeaseClient.AlreadyExists.self) { _ = try await leases.create(offerB) }

            // Held by a: b waits until it has seen the same record for the whole duration.
            let held = try #require(try await leases.get(namespace: "istio-system", name: "meshd-leader"))
            #expect(b.next(read: held, now: t0 + .seconds(1)) == .wait(holder: "a"))
            #expect(b.next(read: held, now: t0 + .seconds(4)) == .wait(holder: "a"))
            // a renews: the record changes, so b's clock starts again.
            guard case .update(let renewal) = a.next(read: held, now: t0 + .seconds(2)) else {
                Issue.record("the holder renews")
                return
            }
            #expect(renewal.leaseTransitions == 0 && renewal.acquireTime == held.acquireTime)
            a.stored(try await leases.update(renewal), at: t0 + .seconds(2))
            let renewed = try #require(try await leases.get(namespace: "istio-system", name: "meshd-leader"))
            #expect(b.next(read: renewed, now: t0 + .seconds(5)) == .wait(holder: "a"))
            #expect(b.next(read: renewed, now: t0 + .seconds(8)) == .wait(holder: "a"))
            // Unchanged for the duration since b first saw it (at 5 s): b takes over, one transition more.
            guard case .update(let takeover) = b.next(read: renewed, now: t0 + .seconds(9)) else {
                Issue.record("an expired lease is taken")
                return
            }
            #expect(takeover.holderIdentity == "b" && takeover.leaseTransitions == 1)
            #expect(takeover.acquireTime != renewed.acquireTime)
            _ = try await leases.update(takeover)
            // a's renewal from its last stored copy is now stale.
            var late = try #require(a.observed)
            late.renewTime = Date()
            await #expect(throws: LeaseClient.Conflict.self) { _ = try await leases.update(late) }

            // A released lease (empty holder) is taken at once.
            var released = try #require(try await leases.get(namespace: "istio-system", name: "meshd-leader"))
            released.holderIdentity = ""
            released = try await leases.update(released)
            guard case .update(let taken) = a.next(read: released, now: ContinuousClock.now) else {
                Issue.record("a released lease is taken at once")
                return
            }
            #expect(taken.holderIdentity == "a" && taken.leaseTransitions == 2)
        }
    }

    @Test func microTimeHasSixDigitsAndParsesOtherForms() throws {
        let date = Date(timeIntervalSince1970: 1_764_780_000.123456)
        let text = MicroTime.format(date)
        #expect(text.hasSuffix("Z") && text.split(separator: ".").last?.count == 7, "\(text)")
        #expect(abs(try #require(MicroTime.parse(text)).timeIntervalSince(date)) < 0.000_002)
        #expect(MicroTime.parse("2026-12-03T17:30:00Z") != nil)
        #expect(MicroTime.parse("2026-12-03T18:30:00.5+01:00") == MicroTime.parse("2026-12-03T17:30:00.5Z"))
        #expect(MicroTime.parse("yesterday") == nil)
        #expect(throws: KubernetesError.self) {
            try KubernetesLease(json: Data(#"{"metadata":{"name":"x"},"spec":{"renewTime":"soon"}}"#.utf8))
        }
    }
}
