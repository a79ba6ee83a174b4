import Foundation
import MeshTestSupport

/// The reviews mesh running for real: meshd in the root namespace, three `reviews` pods (v1, v2, v3) each with
/// an echo backend on 9080 and a sidecar, and a `client` pod with a sidecar. All sidecars get their bootstrap
/// from `meshd bootstrap` and everything else over ADS.
///
/// One mesh serves the whole `ReviewsMeshTests` suite (see `ReviewsMeshScope`). Tests run one at a time and
/// each first puts the VirtualService it needs in force, so they do not depend on each other's order.
final class ReviewsMesh: @unchecked Sendable {
    static let versions = ["v1", "v2", "v3"]
    static let routeName = "\(ReviewsConfig.port)"

    @TaskLocal static var current: ReviewsMesh?

    let meshd: MeshdProcess
    let client: Sidecar
    /// The reviews sidecars by version.
    let reviews: [String: Sidecar]

    private let lock = NSLock()
    /// What the VirtualService file holds, and the last valid VirtualService that meshd put in force.
    private var fileContent: String
    private var inForce: String

    var sidecars: [Sidecar] { [client] + Self.versions.compactMap { reviews[$0] } }

    private init(meshd: MeshdProcess, client: Sidecar, reviews: [String: Sidecar], virtualService: String) {
        self.meshd = meshd
        self.client = client
        self.reviews = reviews
        self.fileContent = virtualService
        self.inForce = virtualService
    }

    /// The mesh of the test being run; throws when a test runs outside `ReviewsMeshScope`.
    static func require() throws -> ReviewsMesh {
        guard let current else { throw HarnessError("no reviews mesh: the suite needs the .reviewsMesh trait") }
        return current
    }

    /// Builds the mesh in `network` and waits until the client's requests reach a reviews backend. With `delta`,
    /// every sidecar is bootstrapped with `meshd bootstrap --delta` (Delta ADS). Every sidecar runs `release`.
    static func start(
        in network: MeshNetwork, delta: Bool = false, release: EnvoyRelease = .main
    ) async throws -> ReviewsMesh {
        let clientPod = try network.addPod(name: "client", labels: ["app": "client"], serviceAccount: "client")
        var reviewsPods: [String: Pod] = [:]
        for version in versions {
            reviewsPods[version] = try network.addPod(
                name: "reviews-\(version)", labels: ["app": "reviews", "version": version],
                serviceAccount: ReviewsConfig.serviceAccount)
        }
        let pods = [clientPod] + versions.compactMap { reviewsPods[$0] }
        let meshd = try await MeshdProcess.start(
            in: network,
            configFiles: [
                "reviews.yaml": ReviewsConfig.serviceAndSubsets,
                "workloads.yaml": Pod.workloadEntries(pods),
                ReviewsConfig.virtualServiceFile: ReviewsConfig.baseVirtualService,
            ])
        for pod in reviewsPods.values { try await pod.startEchoServer(service: "reviews", port: ReviewsConfig.port) }
        var sidecars: [String: Sidecar] = [:]
        for pod in pods {
            sidecars[pod.name] = try pod.startSidecar(
                bootstrapJSON: meshd.bootstrap(for: pod, extraArguments: delta ? ["--delta"] : []), release: release)
        }
        for sidecar in sidecars.values { try await sidecar.waitUntilReady() }

        guard let client = sidecars[clientPod.name] else { throw HarnessError("client sidecar missing") }
        let mesh = ReviewsMesh(
            meshd: meshd, client: client,
            reviews: reviewsPods.compactMapValues { sidecars[$0.name] },
            virtualService: ReviewsConfig.baseVirtualService)
        _ = try await Poll.until("the client's first requests to reach reviews", timeout: .seconds(20)) {
            let summary = try await mesh.send(count: 5, maxSeconds: 5)
            return summary.ok == 5 ? summary : nil
        }
        return mesh
    }

    /// Sends a bounded burst of requests from the client pod to the reviews Service VIP with `Host: reviews`.
    func send(
        count: Int, path: String = "/reviews/0", headers: [String: String] = [:], maxSeconds: Double = 20
    ) async throws -> TrafficSummary {
        try await client.pod.sendRequests(
            to: "http://\(ReviewsConfig.clusterIP):\(ReviewsConfig.port)\(path)", host: "reviews", headers: headers,
            count: count, maxSeconds: maxSeconds)
    }

    /// The version of route configuration "9080" that the client's Envoy runs.
    func clientRouteVersion() throws -> String? {
        try client.configDump().routeVersions[Self.routeName]
    }

    /// Puts a valid VirtualService in force and returns once the client's Envoy runs the resulting routes.
    func applyVirtualService(_ yaml: String) async throws {
        let (file, current) = lock.withLock { (fileContent, inForce) }
        if file == yaml { return }
        let before = try clientRouteVersion()
        try writeVirtualServiceFile(yaml)
        if current == yaml {
            // The file held a refused edit; the config in force does not change, only the error goes away.
            _ = try await Poll.until(
                "meshd to clear the error for \(ReviewsConfig.virtualServiceFile)", timeout: .seconds(10)
            ) {
                try errors(forFile: ReviewsConfig.virtualServiceFile).isEmpty ? true : nil
            }
            return
        }
        _ = try await Poll.until(
            "the client's Envoy to run new routes after a VirtualService edit", timeout: .seconds(10)
        ) {
            let version = try clientRouteVersion()
            return version != nil && version != before ? true : nil
        }
        markInForce(yaml)
    }

    /// Rewrites the VirtualService file, valid or not, without waiting for anything.
    func writeVirtualServiceFile(_ yaml: String) throws {
        try meshd.writeConfig(ReviewsConfig.virtualServiceFile, yaml)
        lock.withLock { fileContent = yaml }
    }

    /// Records that `yaml`, already in the file, is the VirtualService in force.
    func markInForce(_ yaml: String) {
        lock.withLock { inForce = yaml }
    }

    /// meshd's configz errors that name `file`.
    func errors(forFile file: String) throws -> [ConfigStatus.Problem] {
        try meshd.configz().errors.filter { ($0.file ?? $0.message).contains(file) }
    }
}
