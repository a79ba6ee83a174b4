import Foundation
import Logging
import MeshTestSupport
import Metrics
import Registry

/// Bare `KubernetesReplicaService`s, each with the leader duties a test gives it, on one `FakeKubernetes`: leader
/// election and fencing as `meshd serve` runs them, without the rest of meshd, so a duty's writes can be told apart
/// by replica (`User-Agent: meshd/<id>`) in the fake's write log.
///
/// `crash(id)` cancels one replica's task: it gives nothing back (no Lease release), as a SIGKILLed process would.
final class KubernetesDutyReplicas: Sendable {
    let states: [String: ReplicaState]
    let stops: [String: AsyncStream<Void>.Continuation]
    let ids: [String]

    init(states: [String: ReplicaState], stops: [String: AsyncStream<Void>.Continuation], ids: [String]) {
        self.states = states
        self.stops = stops
        self.ids = ids
    }

    /// Runs one replica per id while `body` runs; `duties(id)` builds each replica's duties.
    static func with(
        _ ids: [String], apiPort: Int, leaseDuration: Duration = .seconds(3),
        duties: @Sendable (String) -> [any KubernetesLeaderDuty],
        _ body: @Sendable (KubernetesDutyReplicas) async throws -> Void
    ) async throws {
        let connection = KubernetesConnection(server: "http://127.0.0.1:\(apiPort)")
        var states: [String: ReplicaState] = [:]
        var stops: [String: AsyncStream<Void>.Continuation] = [:]
        var streams: [String: AsyncStream<Void>] = [:]
        var services: [String: KubernetesReplicaService] = [:]
        for id in ids {
            let list = duties(id)
            let state = ReplicaState(
                id: id, leaseTTL: leaseDuration, duties: list.map(\.name), factory: NOOPMetricsHandler.instance)
            var options = KubernetesReplicaService.Options(namespace: "istio-system", leaseDuration: leaseDuration)
            options.retryDelay = .milliseconds(200)
            services[id] = KubernetesReplicaService(
                connection: connection, state: state, options: options, duties: list,
                logger: KubernetesMeshd.quietLogger(),
                record: {
                    ReplicaRecord(
                        id: id, xds: ["127.0.0.1:15010"], admin: nil, version: "test",
                        leaseTTLSeconds: leaseDuration.components.seconds)
                })
            states[id] = state
            let (stream, stop) = AsyncStream.makeStream(of: Void.self)
            streams[id] = stream
            stops[id] = stop
        }
        let replicas = KubernetesDutyReplicas(states: states, stops: stops, ids: ids)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                guard let service = services[id], let stopped = streams[id] else { continue }
                group.addTask {
                    await withTaskGroup(of: Void.self) { inner in
                        inner.addTask { try? await service.run() }
                        inner.addTask { for await _ in stopped {} }
                        await inner.next()
                        inner.cancelAll()
                    }
                }
            }
            defer { group.cancelAll() }
            try await body(replicas)
        }
    }

    /// Ends a replica abruptly.
    func crash(_ id: String) {
        stops[id]?.finish()
    }

    /// The one leader every replica in `live` agrees on, or nil while they do not (yet).
    func agreedLeader(among live: [String]) -> String? {
        let views = live.compactMap { states[$0]?.view() }
        let leaders = views.filter { $0.role == "leader" }
        guard leaders.count == 1, let leader = leaders.first else { return nil }
        return views.allSatisfy { $0.leader == leader.id } ? leader.id : nil
    }

    /// Waits for one leader among `live` (default: all).
    func waitForLeader(among live: [String]? = nil, timeout: Duration = .seconds(15)) async throws -> String {
        let live = live ?? ids
        return try await Poll.until("one leader among \(live)", timeout: timeout, interval: .milliseconds(50)) {
            agreedLeader(among: live)
        }
    }
}

/// Reading the fake's objects in tests.
enum FakeJSON {
    static func object(
        _ cluster: FakeKubernetes, kind: String, namespace: String = "default", name: String
    )
        -> [String: Any]?
    {
        cluster.object(kind: kind, namespace: namespace, name: name).flatMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// The successful writes (POST, PUT, DELETE) whose path contains `fragment`.
    static func writes(_ cluster: FakeKubernetes, containing fragment: String) -> [FakeWrite] {
        cluster.writes.filter { $0.path.contains(fragment) && (200..<300).contains($0.code) }
    }
}
