import MeshTestSupport
import Testing

extension ReviewsMeshTests {
    @Test("each Envoy runs the CDS, LDS, RDS and EDS versions that meshd's /debug/syncz shows as ACKed")
    func envoyVersionsMatchSyncz() async throws {
        let mesh = try ReviewsMesh.require()
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)

        for sidecar in mesh.sidecars {
            // A push may be in flight right after an edit; wait (bounded) until Envoy and meshd agree.
            let compared = try await Poll.until("\(sidecar.pod.name): Envoy and syncz to agree", timeout: .seconds(10))
            {
                try Self.compareVersions(of: sidecar, with: mesh.meshd)
            }
            #expect(
                compared == ["cds", "eds", "lds", "rds"], "\(sidecar.pod.name): compared only \(compared.sorted())")
        }

        // EDS carried the right pods: each subset cluster has exactly its pod, the service cluster all three.
        let endpoints = try mesh.client.configDump().endpoints
        for version in ReviewsMesh.versions {
            let pod = try #require(mesh.reviews[version]).pod
            #expect(endpoints["outbound|9080|\(version)|\(Self.fqdn)"] == ["\(pod.ip):9080"], "\(endpoints)")
        }
        let all = mesh.reviews.values.map { "\($0.pod.ip):9080" }.sorted()
        #expect(endpoints["outbound|9080||\(Self.fqdn)"] == all, "\(endpoints)")
    }

    /// Compares the versions one Envoy accepted with the versions meshd recorded as ACKed for its node id, and
    /// returns the types compared. Throws a `HarnessError` naming every difference and every NACK.
    ///
    /// Envoy's side: `version_info` of the clusters and listeners dumps and of each dynamic route configuration,
    /// and for EDS each EDS cluster's `version_text` stat.
    static func compareVersions(of sidecar: Sidecar, with meshd: MeshdProcess) throws -> Set<String> {
        let dump = try sidecar.configDump()
        let statuses = try meshd.syncz()
        let nodeID = sidecar.pod.nodeID
        guard let status = statuses.first(where: { $0.proxy == nodeID }) else {
            throw HarnessError("syncz has no proxy \(nodeID); it has \(statuses.map(\.proxy))")
        }
        var envoy: [String: [String: String]] = [:]  // type → resource ("*" for the whole type) → version
        if let version = dump.clustersVersion { envoy["cds"] = ["*": version] }
        if let version = dump.listenersVersion { envoy["lds"] = ["*": version] }
        if !dump.routeVersions.isEmpty { envoy["rds"] = dump.routeVersions }
        let eds = try sidecar.edsVersions(of: dump.edsClusters)
        if !eds.isEmpty { envoy["eds"] = eds }

        var problems: [String] = []
        for missing in Set(dump.edsClusters).subtracting(eds.keys).sorted() {
            problems.append("eds \(missing): Envoy has accepted no endpoints yet")
        }
        for (type, versions) in envoy.sorted(by: { $0.key < $1.key }) {
            guard let sync = status.types[type] else {
                problems.append("\(type): Envoy runs \(versions) but syncz has no \(type) entry")
                continue
            }
            if let nack = sync.lastNack {
                problems.append("\(type): Envoy NACKed version \(nack.version ?? "?"): \(nack.error ?? "")")
            }
            for (resource, version) in versions.sorted(by: { $0.key < $1.key }) where version != sync.ackedVersion {
                problems.append(
                    "\(type) \(resource): Envoy runs version \(version.debugDescription), syncz ACKed "
                        + "\(sync.ackedVersion.debugDescription) (sent \(sync.sentVersion.debugDescription))")
            }
        }
        guard problems.isEmpty else { throw HarnessError(problems.joined(separator: "; ")) }
        return Set(envoy.keys)
    }
}
