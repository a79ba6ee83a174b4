import CoreMetrics
import Foundation
import Logging
import MeshTestSupport
import Registry
import ServiceLifecycle
import Synchronization
import Testing

/// A leader that stops gracefully gives its Lease back (empty holder, as client-go's ReleaseOnCancel) and deletes its
/// registry Lease: the follower takes over at its next read, well inside the lease duration, and the old leader's
/// duty has ended.
@Suite(.serialized) struct KubernetesReleaseTests {
    static let apiPort = 23060
    static let leaseDuration = 6

    /// Runs while it leads; counts how many are running.
    struct CountingDuty: KubernetesLeaderDuty {
        let running: Running
        let id: String
        var name: String { "count" }

        func run(_ fence: KubernetesLeaderFence) async throws {
            running.state.withLock { $0[id] = true }
            defer { running.state.withLock { $0[id] = false } }
            while !Task.isCancelled { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    final class Running: Sendable {
        let state = Mutex<[String: Bool]>([:])
        var leading: [String] { state.withLock { $0.filter(\.value).map(\.key).sorted() } }
    }

    static func service(_ id: String, port: Int, running: Running) -> (KubernetesReplicaService, ReplicaState) {
        let state = ReplicaState(
            id: id, leaseTTL: .seconds(leaseDuration), duties: ["count"], factory: NOOPMetricsHandler.instance)
        let record = ReplicaRecord(
            id: id, xds: ["unix:/tmp/\(id).sock"], admin: nil, version: "test", leaseTTLSeconds: 6)
        let service = KubernetesReplicaService(
            connection: KubernetesConnection(server: "http://127.0.0.1:\(port)"), state: state,
            options: KubernetesReplicaService.Options(
                namespace: "istio-system", leaseDuration: .seconds(leaseDuration)),
            duties: [CountingDuty(running: running, id: id)], logger: KubernetesMeshd.quietLogger(),
            record: { record })
        return (service, state)
    }

    @Test func aGracefulStopReleasesTheLeaseAndTheFollowerTakesItAtOnce() async throws {
        let cluster = FakeKubernetes()
        let running = Running()
        try await cluster.serving(port: Self.apiPort) { port in
            let (serviceA, stateA) = Self.service("a", port: port, running: running)
            let (serviceB, stateB) = Self.service("b", port: port, running: running)
            let logger = KubernetesMeshd.quietLogger()
            let groupA = ServiceGroup(configuration: .init(services: [serviceA], logger: logger))
            let groupB = ServiceGroup(configuration: .init(services: [serviceB], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await groupA.run() }
                _ = try await Poll.until("a to lead", timeout: .seconds(10)) { stateA.isLeader ? true : nil }
                tasks.addTask { try await groupB.run() }
                defer { tasks.cancelAll() }
                _ = try await Poll.until("b to follow a", timeout: .seconds(10)) {
                    stateB.view().leader == "a" && stateB.view().replicas.count == 2 ? true : nil
                }
                #expect(running.leading == ["a"])
                #expect(cluster.object(kind: "Lease", namespace: "istio-system", name: "meshd-replica-a") != nil)

                await groupA.triggerGracefulShutdown()
                let stopped = ContinuousClock.now
                _ = try await Poll.until(
                    "b to lead", timeout: .seconds(Self.leaseDuration * 2), interval: .milliseconds(20)
                ) {
                    stateB.isLeader ? true : nil
                }
                let elapsed = ContinuousClock.now - stopped
                print(
                    "graceful handover: b leads \(elapsed) after a was stopped (lease duration \(Self.leaseDuration) s)"
                )
                // A released Lease is taken at the next read (every fifth of the duration), not after expiry.
                #expect(elapsed < .seconds(Self.leaseDuration) / 2, "b took \(elapsed): the lease was not released")
                #expect(running.leading == ["b"])
                let text = try #require(cluster.object(kind: "Lease", namespace: "istio-system", name: "meshd-leader"))
                let lease = try KubernetesLease(json: Data(text.utf8))
                #expect(lease.holderIdentity == "b" && lease.leaseTransitions == 1)
                #expect(cluster.object(kind: "Lease", namespace: "istio-system", name: "meshd-replica-a") == nil)
                let released = cluster.writes.contains {
                    $0.name == "meshd-leader" && $0.userAgent == "meshd/a" && $0.holder == ""
                }
                #expect(released, "a did not write an empty holder")
                await groupB.triggerGracefulShutdown()
            }
        }
    }
}
