import Foundation
import Logging
import MeshTestSupport
import MeshdApp
import Registry

/// Several meshd replicas in this process, each assembled by `buildMeshd` as `meshd serve --kubeconfig` assembles
/// it (Kubernetes source, replica set on the API server, admin on 127.0.0.1:<port>, xDS on a UNIX socket, and with
/// `security` a self-signed CA shared through `istio-ca-secret`), all on one `FakeKubernetes`.
///
/// `crash(id)` cancels one replica's task: it gives nothing back (no Lease release), as a SIGKILLed process would.
final class KubernetesReplicaSet: Sendable {
    struct Replica: Sendable {
        let id: String
        let application: MeshdApplication
        let adminPort: Int
        let xdsSocket: String
        let stateDirectory: String
        let stop: AsyncStream<Void>.Continuation

        var state: ReplicaState {
            get throws {
                guard let state = application.replicas else { throw HarnessError("\(id) has no replica state") }
                return state
            }
        }
    }

    let replicas: [String: Replica]
    let ids: [String]
    let directory: URL
    let sharedCA: [String: KubernetesSharedCA.Outcome]

    init(replicas: [String: Replica], ids: [String], directory: URL, sharedCA: [String: KubernetesSharedCA.Outcome]) {
        self.replicas = replicas
        self.ids = ids
        self.directory = directory
        self.sharedCA = sharedCA
    }

    /// Runs one replica per id (admin ports from `firstAdminPort`) while `body` runs. With `security`, each replica
    /// first shares the CA through `istio-ca-secret`, all at once (so they race for the create).
    static func with(
        _ ids: [String], apiPort: Int, firstAdminPort: Int, leaseDuration: Duration, security: Bool,
        statusInterval: Duration = .milliseconds(200), workloadEntryGracePeriod: Duration? = nil,
        logger: Logger = KubernetesMeshd.quietLogger(),
        _ body: @Sendable (KubernetesReplicaSet) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-k8s-replicas-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let connection = KubernetesConnection(server: "http://127.0.0.1:\(apiPort)")
        var outcomes: [String: KubernetesSharedCA.Outcome] = [:]
        if security {
            try await withThrowingTaskGroup(of: (String, KubernetesSharedCA.Outcome).self) { group in
                for id in ids {
                    group.addTask {
                        let outcome = try await KubernetesSharedCA.share(
                            connection: connection, namespace: "istio-system",
                            stateDirectory: directory.appendingPathComponent("\(id)-ca").path,
                            trustDomain: "cluster.local")
                        return (id, outcome)
                    }
                }
                for try await (id, outcome) in group { outcomes[id] = outcome }
            }
        }
        var replicas: [String: Replica] = [:]
        var stops: [String: AsyncStream<Void>] = [:]
        for (index, id) in ids.enumerated() {
            var options = MeshdOptions(logger: logger)
            options.kubernetes = MeshdOptions.Kubernetes(
                connection: connection, options: KubernetesMeshd.fastOptions())
            var replica = MeshdOptions.Replica(id: id)
            replica.service.leaseTTL = leaseDuration
            replica.service.retryDelay = .milliseconds(200)
            replica.statusInterval = statusInterval
            options.kubernetes?.replica = replica
            options.kubernetes?.namespace = "istio-system"
            options.kubernetes?.configStatus = true
            let socket = directory.appendingPathComponent("\(id)-xds.sock").path
            options.xdsAddress = .unix(path: socket)
            let adminPort = firstAdminPort + index
            options.admin = MeshdOptions.Admin(host: "127.0.0.1", port: adminPort)
            let stateDirectory = directory.appendingPathComponent("\(id)-ca").path
            options.security =
                security
                ? MeshdOptions.Security(stateDirectory: stateDirectory, secureXDSAddress: nil, trustNodeMetadata: true)
                : nil
            options.changeHistory = 10
            if let workloadEntryGracePeriod { options.workloadEntryGracePeriod = workloadEntryGracePeriod }
            let (stream, stop) = AsyncStream.makeStream(of: Void.self)
            stops[id] = stream
            replicas[id] = Replica(
                id: id, application: try buildMeshd(options), adminPort: adminPort, xdsSocket: socket,
                stateDirectory: stateDirectory, stop: stop)
        }
        let set = KubernetesReplicaSet(replicas: replicas, ids: ids, directory: directory, sharedCA: outcomes)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                guard let replica = replicas[id], let stopped = stops[id] else { continue }
                group.addTask {
                    // Runs until the test ends or `crash(id)` finishes its stop stream.
                    await withTaskGroup(of: Void.self) { inner in
                        inner.addTask { try? await replica.application.run() }
                        inner.addTask { for await _ in stopped {} }
                        await inner.next()
                        inner.cancelAll()
                    }
                }
            }
            defer { group.cancelAll() }
            try await body(set)
        }
    }

    subscript(id: String) -> Replica {
        get throws {
            guard let replica = replicas[id] else { throw HarnessError("no replica \(id)") }
            return replica
        }
    }

    /// Ends a replica abruptly (its task is cancelled: no Lease is released, nothing deleted).
    func crash(_ id: String) throws {
        try self[id].stop.finish()
    }

    /// The one leader every replica in `live` agrees on, or nil while they do not (yet).
    func agreedLeader(among live: [String]) throws -> String? {
        let views = try live.map { try self[$0].state.view() }
        let leaders = views.filter { $0.role == "leader" }
        guard leaders.count == 1, let leader = leaders.first else { return nil }
        return views.allSatisfy { $0.leader == leader.id } ? leader.id : nil
    }

    /// Waits until every replica is ready (every kind listed, listeners bound).
    func waitUntilReady(timeout: Duration = .seconds(15)) async throws {
        for id in ids {
            let application = try self[id].application
            _ = try await Poll.until("\(id) to be ready", timeout: timeout) {
                application.readiness.isReady ? true : nil
            }
        }
    }

    /// One sample of a replica's `/metrics`.
    func metric(_ sample: String, of id: String) throws -> Double? {
        let body = try HTTPProbe.get("http://127.0.0.1:\(try self[id].adminPort)/metrics").body
        for line in body.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// A kubeconfig for the fake API server, for `meshd proxy-status --kubeconfig`.
    func kubeconfig(apiPort: Int) throws -> String {
        let path = directory.appendingPathComponent("kubeconfig").path
        try """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster: {server: "http://127.0.0.1:\(apiPort)"}
        users:
        - name: tester
          user: {}
        contexts:
        - name: fake
          context: {cluster: fake, user: tester}
        current-context: fake
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
