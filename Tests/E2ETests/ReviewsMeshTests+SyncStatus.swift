import MeshTestSupport
import Testing

extension ReviewsMeshTests {
    @Test("each Envoy's config_dump versions equal the versions meshd's /debug/syncz shows as ACKed")
    func configDumpMatchesSyncz() async throws {
        let mesh = try ReviewsMesh.require()
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)

        for sidecar in mesh.sidecars {
            // A push may be in flight right after an edit; wait (bounded) until Envoy and meshd agree.
            let report = try await Poll.until("\(sidecar.pod.name): config_dump and syncz to agree", timeout: .seconds(10)) {
                try Self.compare(sidecar, with: mesh.meshd)
            }
            #expect(report.compared.contains("cds") && report.compared.contains("lds"), "\(report)")
            if sidecar === mesh.client {
                #expect(report.compared.isSuperset(of: ["cds", "lds", "rds", "eds"]), "\(report)")
            }
        }
    }

    /// What was compared for one proxy.
    struct Agreement: CustomStringConvertible {
        var compared: Set<String>
        var description: String { "compared \(compared.sorted())" }
    }

    /// Compares one Envoy's accepted versions with meshd's ACKed versions; throws a `HarnessError` naming every
    /// difference (Poll quotes it when the wait runs out).
    static func compare(_ sidecar: Sidecar, with meshd: MeshdProcess) throws -> Agreement {
        let dump = try sidecar.configDump()
        let statuses = try meshd.syncz()
        let nodeID = sidecar.pod.nodeID
        guard let status = statuses.first(where: { $0.proxy == nodeID }) else {
            throw HarnessError("syncz has no proxy \(nodeID); it has \(statuses.map(\.proxy))")
        }
        var envoy: [String: [String: String]] = [:]  // type → (resource or "*") → version Envoy runs
        if let version = dump.clustersVersion { envoy["cds"] = ["*": version] }
        if let version = dump.listenersVersion { envoy["lds"] = ["*": version] }
        if !dump.routeVersions.isEmpty { envoy["rds"] = dump.routeVersions }
        if !dump.endpointVersions.isEmpty { envoy["eds"] = dump.endpointVersions }

        var problems: [String] = []
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
                        + "\(String(describing: sync.ackedVersion)) (sent \(String(describing: sync.sentVersion)))")
            }
        }
        guard problems.isEmpty else { throw HarnessError(problems.joined(separator: "; ")) }
        return Agreement(compared: Set(envoy.keys))
    }
}
