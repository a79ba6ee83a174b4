import MeshModel
import Testing

/// Endpoint selection through the workload index: the cases the index could get wrong that
/// `SnapshotBuildTests` does not already cover.
@Suite("MeshSnapshot.build endpoint selection")
struct SnapshotSelectionTests {
    func entry(
        _ name: String, _ address: String, meta: [String: String] = [:], spec: [String: String],
        namespace: String = "bookinfo"
    ) -> MeshResource {
        .workloadEntry(
            WorkloadEntry(
                meta: ObjectMeta(name: name, namespace: namespace, labels: meta),
                spec: WorkloadEntrySpec(address: address, labels: spec)))
    }

    func service(_ name: String, selector: [String: String], namespace: String = "bookinfo") -> MeshResource {
        .service(
            KubernetesService(
                meta: ObjectMeta(name: name, namespace: namespace), ports: [ServicePort(name: "http", port: 80)],
                selector: selector))
    }

    func addresses(_ snapshot: MeshSnapshot, _ host: String, port: Int = 80) -> [String] {
        snapshot.endpoints(hostname: host, port: port).map(\.address)
    }

    @Test func everyPairOfAMultiLabelSelectorMustMatch() {
        let snapshot = MeshSnapshot.build(
            from: objects([
                service("v1", selector: ["app": "reviews", "version": "v1"]),
                pod("both", ip: "10.0.0.1", labels: ["app": "reviews", "version": "v1", "extra": "x"]),
                pod("app-only", ip: "10.0.0.2", labels: ["app": "reviews", "version": "v2"]),
                pod("version-only", ip: "10.0.0.3", labels: ["app": "ratings", "version": "v1"]),
                pod("missing-key", ip: "10.0.0.4", labels: ["version": "v1"]),
                pod("both-elsewhere", ip: "10.0.0.5", labels: ["app": "reviews", "version": "v1"], namespace: "prod"),
                entry("vm-both", "10.1.0.1", spec: ["app": "reviews", "version": "v1"]),
                entry("vm-half", "10.1.0.2", spec: ["app": "reviews"]),
            ]))
        #expect(addresses(snapshot, "v1.bookinfo.svc.cluster.local") == ["10.0.0.1", "10.1.0.1"])
    }

    @Test func workloadEntrySpecLabelsOverrideItsMetadataLabels() {
        let snapshot = MeshSnapshot.build(
            from: objects([
                service("reviews", selector: ["app": "reviews"]),
                service("legacy", selector: ["app": "legacy"]),
                service("tier", selector: ["tier": "back"]),
                entry("vm-1", "10.1.0.1", meta: ["app": "legacy", "tier": "back"], spec: ["app": "reviews"]),
                entry("vm-2", "10.1.0.2", meta: ["app": "legacy"], spec: [:]),
            ]))
        #expect(addresses(snapshot, "reviews.bookinfo.svc.cluster.local") == ["10.1.0.1"])
        // vm-1's metadata says legacy, but its spec says reviews: the spec wins, so only vm-2 is legacy.
        #expect(addresses(snapshot, "legacy.bookinfo.svc.cluster.local") == ["10.1.0.2"])
        // A metadata label the spec does not override still selects.
        #expect(addresses(snapshot, "tier.bookinfo.svc.cluster.local") == ["10.1.0.1"])
        #expect(
            snapshot.endpoints(hostname: "reviews.bookinfo.svc.cluster.local", port: 80).first?.labels
                == ["app": "reviews", "tier": "back"])
    }

    @Test func serviceEntryWorkloadSelectorPicksPodsAndEntriesOfItsNamespaceOnly() {
        let se = MeshResource.serviceEntry(
            ServiceEntry(
                meta: ObjectMeta(name: "vms", namespace: "bookinfo"), hosts: ["vm.internal"],
                ports: [ServiceEntryPort(number: 80, protocol: "HTTP", name: "http")], location: .meshInternal,
                resolution: .staticAddresses, workloadSelector: ["app": "vm"]))
        let everything = MeshResource.serviceEntry(
            ServiceEntry(
                meta: ObjectMeta(name: "all", namespace: "prod"), hosts: ["all.internal"],
                ports: [ServiceEntryPort(number: 80, protocol: "HTTP", name: "http")], location: .meshInternal,
                resolution: .staticAddresses, workloadSelector: [:]))
        let snapshot = MeshSnapshot.build(
            from: objects([
                se, everything,
                pod("vm-pod", ip: "10.0.0.1", labels: ["app": "vm"]),
                pod("vm-pod-no-ip", ip: nil, labels: ["app": "vm"]),
                pod("vm-pod-prod", ip: "10.0.0.2", labels: ["app": "vm"], namespace: "prod"),
                entry("vm-1", "10.1.0.1", spec: ["app": "vm"]),
                entry("web-1", "10.1.0.2", spec: ["app": "web"], namespace: "prod"),
            ]))
        #expect(addresses(snapshot, "vm.internal") == ["10.0.0.1", "10.1.0.1"])
        // An empty selector selects every workload (with an address) of the entry's namespace.
        #expect(addresses(snapshot, "all.internal") == ["10.0.0.2", "10.1.0.2"])
    }

    @Test func aNamespaceWithoutWorkloadsSelectsNothing() {
        let snapshot = MeshSnapshot.build(
            from: objects([
                service("reviews", selector: ["app": "reviews"], namespace: "empty"),
                pod("reviews-1", ip: "10.0.0.1", labels: ["app": "reviews"]),
            ]))
        #expect(addresses(snapshot, "reviews.empty.svc.cluster.local").isEmpty)
    }
}
