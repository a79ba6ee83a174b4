import MeshTestSupport
import Testing

/// The routing checks of the reviews mesh, one function each, so that `ReviewsMeshTests` and the Envoy version
/// matrix (`EnvoyVersionMatrixTests`) run the same checks. Each puts the VirtualService it needs in force first.
extension ReviewsMesh {
    static let fqdn = "reviews.default.svc.cluster.local"

    /// The client Envoy's `upstream_rq_total` for the outbound cluster of `subset`.
    func outboundRequests(subset: String) throws -> Int {
        try client.counter("cluster.outbound|\(ReviewsConfig.port)|\(subset)|\(Self.fqdn).upstream_rq_total")
    }

    /// A uri prefix match and a header match send requests to the subsets the VirtualService names, through the
    /// subset clusters as Istio names them and the backends' inbound clusters.
    func checkMatchRouting() async throws {
        try await applyVirtualService(ReviewsConfig.baseVirtualService)
        let v2Before = try outboundRequests(subset: "v2")
        let v3Before = try outboundRequests(subset: "v3")

        let preview = try await send(count: 20, path: "/v2/ratings")
        #expect(preview.ok == 20, "\(preview)")
        #expect(preview.pods == ["reviews-v2": 20], "uri prefix /v2/ must route to subset v2: \(preview)")
        let reply = try #require(preview.samples.first)
        #expect(reply.service == "reviews")
        #expect(reply.path == "/v2/ratings")
        #expect(reply.headers["x-request-id"] != nil, "no x-request-id: the request skipped the client's HTTP proxy")

        let jason = try await send(count: 20, path: "/reviews/7", headers: ["end-user": "jason"])
        #expect(jason.ok == 20, "\(jason)")
        #expect(jason.pods == ["reviews-v3": 20], "header end-user: jason must route to subset v3: \(jason)")
        #expect(jason.samples.first?.headers["end-user"] == "jason")

        // The client's Envoy used the subset clusters named as Istio names them...
        #expect(try outboundRequests(subset: "v2") - v2Before >= 20)
        #expect(try outboundRequests(subset: "v3") - v3Before >= 20)
        // ...and the backends' Envoys took the requests in through their inbound cluster.
        for version in ["v2", "v3"] {
            let backend = try #require(reviews[version])
            #expect(
                try backend.counter("cluster.inbound|\(ReviewsConfig.port)||.upstream_cx_total") >= 1,
                "reviews-\(version)'s sidecar did not forward through inbound|\(ReviewsConfig.port)||")
        }
    }

    /// The 80/20 split between v1 and v2 holds over `requests` requests, within 4.5 standard deviations of a
    /// binomial draw at p = 0.8 (for 500 requests: [0.72, 0.88]).
    func checkWeightedSplit(requests: Int = 500) async throws {
        try await applyVirtualService(ReviewsConfig.baseVirtualService)
        let summary = try await send(count: requests, path: "/reviews/0", maxSeconds: 90)
        #expect(summary.ok == requests, "\(summary)")
        #expect(summary.pods["reviews-v3", default: 0] == 0, "v3 has no weight: \(summary)")
        let halfWidth = 4.5 * (0.8 * 0.2 / Double(requests)).squareRoot()
        let tolerance = (0.8 - halfWidth)...(0.8 + halfWidth)
        let v1 = summary.share(of: "reviews-v1")
        #expect(tolerance.contains(v1), "v1 share \(v1) outside \(tolerance): \(summary)")
        #expect(summary.pods["reviews-v1", default: 0] + summary.pods["reviews-v2", default: 0] == summary.ok)
    }

    /// Editing the VirtualService file re-routes traffic to v3 within 3 s, through the same Envoy processes, which
    /// now run a new route configuration. Returns how long traffic took to move.
    @discardableResult
    func checkLiveEdit() async throws -> Duration {
        try await applyVirtualService(ReviewsConfig.baseVirtualService)
        let pids = sidecars.map(\.pid)
        let routesBefore = try clientRouteVersion()

        let edited = ContinuousClock.now
        try writeVirtualServiceFile(ReviewsConfig.allTo("v3"))
        // Probe in bursts of 10 for up to 8 s, so that a slow push is measured rather than only refused.
        var convergedAfter: Duration?
        var last: TrafficSummary?
        while convergedAfter == nil, ContinuousClock.now - edited < .seconds(8) {
            let burst = try await send(count: 10, maxSeconds: 2)
            last = burst
            if burst.ok == 10 && burst.pods == ["reviews-v3": 10] {
                convergedAfter = ContinuousClock.now - edited
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let after = try #require(
            convergedAfter, "traffic never moved to v3 within 8 s; last burst: \(String(describing: last))")
        markInForce(ReviewsConfig.allTo("v3"))
        #expect(after <= .seconds(3), "traffic moved to v3 only after \(after)")

        let settled = try await send(count: 50)
        #expect(settled.pods == ["reviews-v3": 50], "after the edit everything must go to v3: \(settled)")
        // The same Envoys took the change over xDS: new route version, same processes.
        #expect(try clientRouteVersion() != routesBefore, "the client's route configuration 9080 did not change")
        #expect(sidecars.map(\.pid) == pids)
        for sidecar in sidecars {
            #expect(sidecar.process.isRunning, "Envoy in \(sidecar.pod.name) (pid \(sidecar.pid)) is gone")
        }
        return after
    }

    /// Every Envoy runs the CDS, LDS, RDS and EDS versions that meshd's `/debug/syncz` shows as ACKed for it, with
    /// no NACK, for whatever VirtualService is in force; and EDS gave each subset cluster exactly its pod.
    func checkVersionsMatchSyncz() async throws {
        for sidecar in sidecars {
            // A push may be in flight right after an edit; wait (bounded) until Envoy and meshd agree.
            let compared = try await Poll.until("\(sidecar.pod.name): Envoy and syncz to agree", timeout: .seconds(10))
            {
                try Self.compareVersions(of: sidecar, with: meshd)
            }
            #expect(
                compared == ["cds", "eds", "lds", "rds"], "\(sidecar.pod.name): compared only \(compared.sorted())")
        }

        // EDS carried the right pods: each subset cluster has exactly its pod, the service cluster all three.
        let endpoints = try client.configDump().endpoints
        for version in Self.versions {
            let pod = try #require(reviews[version]).pod
            #expect(endpoints["outbound|9080|\(version)|\(Self.fqdn)"] == ["\(pod.ip):9080"], "\(endpoints)")
        }
        let all = reviews.values.map { "\($0.pod.ip):9080" }.sorted()
        #expect(endpoints["outbound|9080||\(Self.fqdn)"] == all, "\(endpoints)")
    }

    /// Compares the versions one Envoy accepted with the versions meshd recorded as ACKed for its node id, and
    /// returns the types compared. Throws a `HarnessError` naming every difference and every NACK.
    ///
    /// Envoy's side: `version_info` of the clusters and listeners dumps and of each dynamic route configuration,
    /// and for EDS each EDS cluster's `version_text` stat. meshd's side: each type's `ackedVersion`, and over Delta
    /// each route configuration's own version (`ackedResources`).
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
            for (resource, version) in versions.sorted(by: { $0.key < $1.key }) {
                // Over Delta, Envoy shows each route configuration at its own version; the whole-type dumps (CDS, LDS)
                // and the EDS readouts show the response's system version, as over SotW.
                let perResource = type == "rds" ? sync.ackedResources : nil
                let acked = perResource.map { $0[resource] } ?? sync.ackedVersion
                if version != acked {
                    problems.append(
                        "\(type) \(resource): Envoy runs version \(version.debugDescription), syncz ACKed "
                            + "\(acked.debugDescription) (sent \(sync.sentVersion.debugDescription))")
                }
            }
        }
        guard problems.isEmpty else { throw HarnessError(problems.joined(separator: "; ")) }
        return Set(envoy.keys)
    }
}
