import MeshModel
import Testing

/// The snapshot version is a hash over each object's content hash: it must still move when any field moves.
@Suite("MeshSnapshot version")
struct SnapshotVersionTests {
    func rule(warmup: Duration, subsetLabel: String = "v2") -> MeshResource {
        .destinationRule(
            DestinationRule(
                meta: ObjectMeta(name: "reviews", namespace: "bookinfo"), host: "reviews",
                subsets: [
                    Subset(name: "v1", labels: ["version": "v1"]),
                    Subset(
                        name: "v2", labels: ["version": subsetLabel],
                        trafficPolicy: TrafficPolicy(
                            loadBalancer: LoadBalancerSettings(simple: .roundRobin, warmupDuration: warmup))),
                ]))
    }

    @Test func aChangeDeepInsideOneObjectChangesTheVersion() {
        let base = MeshSnapshot.build(
            from: objects([rule(warmup: .seconds(10)), pod("p", ip: "10.0.0.1", labels: [:])]))
        // subsets[1].trafficPolicy.loadBalancer.warmupDurationSecs: four levels down, inside an array and an optional.
        let deeper = MeshSnapshot.build(
            from: objects([rule(warmup: .seconds(20)), pod("p", ip: "10.0.0.1", labels: [:])]))
        #expect(deeper.version != base.version)
        // subsets[1].labels: a dictionary value inside an array.
        let relabelled = MeshSnapshot.build(
            from: objects([
                rule(warmup: .seconds(10), subsetLabel: "v3"), pod("p", ip: "10.0.0.1", labels: [:]),
            ]))
        #expect(relabelled.version != base.version)
        #expect(Set([base.version, deeper.version, relabelled.version]).count == 3)
        let same = MeshSnapshot.build(
            from: objects([rule(warmup: .seconds(10)), pod("p", ip: "10.0.0.1", labels: [:])]))
        #expect(same.version == base.version)
    }

    @Test func contentHashIgnoresWhereTheObjectWasRead() {
        let here = ConfigObject(
            resource: rule(warmup: .seconds(1)), source: MeshModel.SourceLocation(file: "a.yaml", document: 1))
        let there = ConfigObject(
            resource: rule(warmup: .seconds(1)), source: MeshModel.SourceLocation(file: "b.yaml", document: 3))
        #expect(HashedConfigObject(here).contentHash == HashedConfigObject(there).contentHash)
        // Re-storing an unchanged resource from a new place keeps the hash and takes the new source.
        let moved = HashedConfigObject(here).replaced(by: there)
        #expect(moved.object.source.file == "b.yaml")
        #expect(moved.contentHash == HashedConfigObject(there).contentHash)
        let edited = ConfigObject(resource: rule(warmup: .seconds(2)), source: here.source)
        #expect(HashedConfigObject(here).replaced(by: edited).contentHash != HashedConfigObject(here).contentHash)
    }
}
