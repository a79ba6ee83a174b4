import Foundation
import SyntheticMesh
import Testing

@testable import meshd_load

/// A small run against a spawned debug meshd: every proxy syncs, an endpoint change reaches every proxy, and the
/// numbers are sane. Never asserts speed.
@Suite(.serialized) struct LoadRunTests {
    static var meshdPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent(".build/debug/meshd").path
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: meshdPath), "needs a debug build of meshd"))
    func twentyProxiesSyncAndSeeAnEndpointChange() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("load-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let mesh = SyntheticMesh(services: 10, endpointsPerService: 3, namespaces: 2)
        _ = try mesh.write(to: directory)
        let options = try RunOptions.parse([
            "--proxies", "20", "--services", "10", "--endpoints", "3", "--namespaces", "2", "--config-dir",
            directory.path,
            "--meshd", Self.meshdPath, "--change", "endpoint", "--nack-fraction", "0.1", "--sync-timeout", "60",
            "--convergence-timeout", "30",
        ])
        let target = try await LoadTarget.start(options: options, configDir: directory)
        defer { target.server?.stop() }
        let report = try await LoadScenario(
            options: options, mesh: mesh, configDir: directory, target: target, notes: []
        ).run()

        #expect(report.synced == 20)
        #expect(report.nackingProxies == 2)
        #expect((report.syncSeconds ?? 0) > 0)
        #expect(report.bytesReceivedDuringSync > 0)
        #expect((report.serverRSSAfterSyncMB ?? 0) > 1)
        let change = try #require(report.change)
        #expect(change.converged == 20)
        #expect(change.latency.count == 20 && change.latency.p50Ms <= change.latency.maxMs)
        #expect((change.pushesByType["eds"] ?? 0) >= 20)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: meshdPath), "needs a debug build of meshd"))
    func churnMovesReachEveryProxy() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("load-churn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        // 20 proxies are the workloads of services 0-6; services 7-19 are moved, ten moves of ten services.
        let mesh = SyntheticMesh(services: 20, endpointsPerService: 3, namespaces: 2, filePerService: true)
        _ = try mesh.write(to: directory)
        let options = try RunOptions.parse([
            "--proxies", "20", "--services", "20", "--endpoints", "3", "--namespaces", "2", "--config-dir",
            directory.path, "--meshd", Self.meshdPath, "--churn-rate", "10", "--churn-seconds", "1",
            "--sync-timeout", "60", "--convergence-timeout", "30",
        ])
        let target = try await LoadTarget.start(options: options, configDir: directory)
        defer { target.server?.stop() }
        let report = try await LoadScenario(
            options: options, mesh: mesh, configDir: directory, target: target, notes: []
        ).run()

        #expect(report.synced == 20)
        let churn = try #require(report.churn)
        #expect(churn.moves == 10 && churn.churnedServices == 13)
        #expect(churn.expected == 200 && churn.superseded == 0)
        #expect(churn.received == 200, "every proxy received every move")
        #expect((churn.p50Ms ?? .infinity) <= (churn.p99Ms ?? 0) && (churn.p99Ms ?? .infinity) <= churn.maxMs + 1)
        #expect((churn.pushesByType["eds"] ?? 0) >= 20)
        #expect((churn.pushesByType["cds"] ?? 0) == 0, "moving an endpoint changes no cluster")
    }

    @Test func filePerServiceGivesEveryServiceItsOwnFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("load-churn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let mesh = SyntheticMesh(services: 20, endpointsPerService: 3, namespaces: 2)
        _ = try mesh.write(to: directory)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(mesh.workloadFile(7)).path))
        let perService = SyntheticMesh(services: 20, endpointsPerService: 3, namespaces: 2, filePerService: true)
        #expect(perService.files().count == 40, "a service file and a workload file for each of 20 services")
    }
}
