import EtcdClient
import Foundation
import MeshTestSupport
import Registry

/// Several `meshd serve` replicas on one test etcd, each with its own sockets, state directory and log, named
/// `meshd-<id>` in the network's output directory.
struct ReplicaSet {
    let etcd: EtcdServer
    let replicas: [String: MeshdProcess]
    let ids: [String]
    let leaseTTL: Int

    /// Starts one replica per id, one after the other (the first creates the shared CA), each waiting for /ready.
    static func start(
        _ ids: [String], etcd: EtcdServer, in network: MeshNetwork, leaseTTL: Int, extraArguments: [String] = []
    ) async throws -> ReplicaSet {
        var replicas: [String: MeshdProcess] = [:]
        for id in ids {
            replicas[id] = try await MeshdProcess.start(
                in: network, name: "meshd-\(id)", configFiles: [:],
                extraArguments: [
                    "--etcd-endpoints", etcd.url, "--replica-id", id, "--leader-lease-ttl", "\(leaseTTL)s",
                    "--status-interval", "200ms",
                ] + extraArguments)
        }
        return ReplicaSet(etcd: etcd, replicas: replicas, ids: ids, leaseTTL: leaseTTL)
    }

    subscript(id: String) -> MeshdProcess {
        get throws {
            guard let replica = replicas[id] else { throw HarnessError("no replica \(id)") }
            return replica
        }
    }

    /// `GET /debug/replicas` of one replica.
    func view(_ id: String) throws -> ReplicaState.View {
        let response = try self[id].admin("/debug/replicas")
        guard response.status == 200 else {
            throw HarnessError("/debug/replicas of \(id) answered \(response.status): \(response.body)")
        }
        return try response.decode(ReplicaState.View.self)
    }

    /// The value of `meshd_leader` on one replica's /metrics.
    func leaderMetric(_ id: String) throws -> Double? {
        try metric("meshd_leader", of: id)
    }

    /// One unlabelled (or fully written `name{labels}`) sample of a replica's /metrics.
    func metric(_ sample: String, of id: String) throws -> Double? {
        let body = try self[id].admin("/metrics").body
        for line in body.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// The one leader every live replica agrees on, or nil while they do not (yet).
    func agreedLeader(among live: [String]) throws -> String? {
        let views = try live.map { try view($0) }
        let leaders = views.filter { $0.role == "leader" }
        guard leaders.count == 1, let leader = leaders.first else { return nil }
        guard views.allSatisfy({ $0.leader == leader.id }) else { return nil }
        return leader.id
    }

    /// `meshd proxy-status --etcd-endpoints`: the merged table, parsed into rows by column name.
    func proxyStatus() throws -> [[String: String]] {
        let result = try Subprocess.run(
            [try MeshdProcess.executable(), "proxy-status", "--etcd-endpoints", etcd.url], timeout: .seconds(30))
        guard result.succeeded else {
            throw HarnessError("meshd proxy-status exited with \(result.status): \(result.stdout)\(result.stderr)")
        }
        let lines = result.stdout.split(separator: "\n").map(String.init)
        guard let header = lines.first else { return [] }
        let columns = header.components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        return lines.dropFirst().map { line in
            let cells = line.components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            var row: [String: String] = [:]
            for (column, cell) in zip(columns, cells) { row[column] = cell }
            return row
        }
    }
}
