import Discovery
import Foundation
import MeshModel
import Registry
import Testing
import XDSServer

/// Change tracking, event by event: which proxies a change reached, and when they accepted or rejected it.
@Suite struct ChangeTrackerTests {
    func change(_ id: UInt64) -> ConfigChange {
        ConfigChange(id: id, snapshotVersion: "v\(id)", publishedAt: Date(), objects: [])
    }

    func sent(_ connection: UInt64, _ type: XDSType, generation: UInt64, nonce: String = "n") -> XDSEvent {
        .sent(
            proxy: "p\(connection)", connection: connection, type: type,
            response: SentResponse(
                version: "v\(generation)", nonce: nonce, resourceNames: ["r"], generation: generation),
            trigger: .push, bytes: 10, duration: .milliseconds(1))
    }

    func acked(_ connection: UInt64, _ type: XDSType, generation: UInt64) -> XDSEvent {
        .acknowledged(
            proxy: "p\(connection)", connection: connection, type: type,
            response: SentResponse(version: "v\(generation)", nonce: "n", resourceNames: ["r"], generation: generation))
    }

    @Test func aChangeConvergesWhenEveryAffectedProxyAcksEveryType() throws {
        let tracker = ChangeTracker()
        tracker.observe(.connected(proxy: "p1", connection: 1))
        tracker.observe(.connected(proxy: "p2", connection: 2))
        tracker.published(change(1))
        tracker.observe(sent(1, .cluster, generation: 1))
        tracker.observe(sent(1, .listener, generation: 1))
        tracker.observe(.pushEvaluated(proxy: "p1", connection: 1, generation: 1, sent: [.cluster, .listener]))
        tracker.observe(.pushEvaluated(proxy: "p2", connection: 2, generation: 1, sent: []))
        tracker.observe(acked(1, .cluster, generation: 1))
        var tracked = try #require(tracker.change(id: 1))
        #expect(tracked.converged.acknowledged == 0)
        #expect(tracked.converged.affected == 1)
        #expect(tracked.stragglers == ["p1"])
        tracker.observe(acked(1, .listener, generation: 1))
        tracked = try #require(tracker.change(id: 1))
        #expect(tracked.converged.acknowledged == 1)
        #expect(tracked.converged.affected == 1)
        #expect(tracked.timeToConvergence != nil)
        #expect(tracked.stragglers.isEmpty)
    }

    @Test func aNackMarksTheChangeRejectedOnThatProxy() throws {
        let tracker = ChangeTracker()
        tracker.observe(.connected(proxy: "p1", connection: 1))
        tracker.published(change(1))
        tracker.observe(sent(1, .route, generation: 1))
        let nack = NackRecord(
            version: "v1", nonce: "n", resourceNames: ["9080"], message: "bad regex", code: 3, at: .now)
        tracker.observe(.rejected(proxy: "p1", connection: 1, type: .route, nack: nack, generation: 1))
        let tracked = try #require(tracker.change(id: 1))
        guard case .rejected(let type, let record)? = tracked.proxies[1] else {
            Issue.record("expected rejected, got \(String(describing: tracked.proxies[1]))")
            return
        }
        #expect(type == .route)
        #expect(record.message == "bad regex")
        #expect(tracked.timeToConvergence == nil)
        #expect(tracked.stragglers == ["p1"])
    }

    @Test func aLaterGenerationsAckSettlesEarlierChanges() throws {
        // Snapshots are cumulative: content of generation 2 carries change 1 too.
        let tracker = ChangeTracker()
        tracker.observe(.connected(proxy: "p1", connection: 1))
        tracker.published(change(1))
        tracker.published(change(2))
        tracker.observe(sent(1, .cluster, generation: 2))
        tracker.observe(.pushEvaluated(proxy: "p1", connection: 1, generation: 2, sent: [.cluster]))
        tracker.observe(acked(1, .cluster, generation: 2))
        #expect(try #require(tracker.change(id: 1)).converged.acknowledged == 1)
        #expect(try #require(tracker.change(id: 2)).converged.acknowledged == 1)
    }

    @Test func proxiesThatConnectAfterAChangeAreNotCountedForIt() throws {
        let tracker = ChangeTracker()
        tracker.published(change(1))
        tracker.observe(.connected(proxy: "late", connection: 9))
        tracker.observe(sent(9, .cluster, generation: 1))
        let tracked = try #require(tracker.change(id: 1))
        #expect(tracked.candidates.isEmpty)
        #expect(tracked.proxies.isEmpty)
    }

    @Test func aDisconnectEndsPendingStates() throws {
        let tracker = ChangeTracker()
        tracker.observe(.connected(proxy: "p1", connection: 1))
        tracker.published(change(1))
        tracker.observe(sent(1, .cluster, generation: 1))
        tracker.observe(.disconnected(proxy: "p1", connection: 1))
        guard case .disconnected? = try #require(tracker.change(id: 1)).proxies[1] else {
            Issue.record("expected disconnected")
            return
        }
    }

    @Test func theRingKeepsOnlyTheNewestChanges() {
        let tracker = ChangeTracker(capacity: 3)
        for id in 1...5 { tracker.published(change(UInt64(id))) }
        #expect(tracker.changes().map(\.change.id) == [5, 4, 3])
        #expect(tracker.change(id: 1) == nil)
    }

    @Test func objectChangesNameWhatWasAddedUpdatedAndRemoved() {
        func object(_ name: String, port: Int) -> ConfigObject {
            ConfigObject(
                resource: .service(
                    KubernetesService(meta: ObjectMeta(name: name), ports: [ServicePort(name: "http", port: port)])),
                source: SourceLocation(file: "s.yaml", document: 1, line: 1))
        }
        // The store records what each snapshot changed as it builds it; the push reads it from the change log.
        let store = ConfigStore()
        store.apply(file: "s.yaml", result: DecodeResult(objects: [object("a", port: 80), object("b", port: 80)]))
        let old = store.snapshot()
        store.apply(file: "s.yaml", result: DecodeResult(objects: [object("a", port: 81), object("c", port: 80)]))
        let new = store.snapshot()
        #expect(new.generation == old.generation + 1)
        let changes = store.changeLog.changes(after: old.generation, through: new.generation).sortedObjects
        #expect(
            changes.map { "\($0.action.rawValue) \($0.key)" } == [
                "updated Service/default/a", "removed Service/default/b", "added Service/default/c",
            ])
        let unchanged = store.changeLog.changes(after: new.generation, through: new.generation)
        #expect(unchanged.isEmpty)
    }
}
