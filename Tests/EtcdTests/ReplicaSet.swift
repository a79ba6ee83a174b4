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

    /// One entry of `/debug/changes`.
    struct Change: Decodable {
        struct Object: Decodable {
            var key: String
            var action: String
            var source: String
        }
        var id: UInt64
        var snapshotVersion: String
        var trigger: String
        var objects: [Object]
    }

    /// `GET /debug/changes` of one replica, newest first.
    func changes(_ id: String) throws -> [Change] {
        let response = try self[id].admin("/debug/changes")
        guard response.status == 200 else {
            throw HarnessError("/debug/changes of \(id) answered \(response.status): \(response.body)")
        }
        return try response.decode([Change].self)
    }

    /// The newest change of one replica that touched `key` (e.g. `VirtualService/default/reviews`) with `action`.
    func change(touching key: String, action: String, on id: String) throws -> Change? {
        try changes(id).first { $0.objects.contains { $0.key == key && $0.action == action } }
    }

    /// The version of the snapshot one replica serves (`/debug/push_status`): a content hash of its config.
    func snapshotVersion(_ id: String) throws -> String {
        struct PushStatus: Decodable { var snapshotVersion: String }
        let response = try self[id].admin("/debug/push_status")
        guard response.status == 200 else {
            throw HarnessError("/debug/push_status of \(id) answered \(response.status): \(response.body)")
        }
        return try response.decode(PushStatus.self).snapshotVersion
    }

    /// The version of the snapshot one replica's store holds (`/debug/configz`). Right after /ready it can be ahead
    /// of `snapshotVersion`, which follows once the (debounced) push has run.
    func listedVersion(_ id: String) throws -> String {
        struct Listed: Decodable { var snapshotVersion: String }
        let response = try self[id].admin("/debug/configz")
        guard response.status == 200 else {
            throw HarnessError("/debug/configz of \(id) answered \(response.status): \(response.body)")
        }
        return try response.decode(Listed.self).snapshotVersion
    }

    /// The keys in force on one replica (`/debug/configz`), e.g. `VirtualService/default/reviews`.
    func objectsInForce(_ id: String) throws -> Set<String> {
        Set(try self[id].configz().objects.map(\.key))
    }

    /// The log one replica wrote so far.
    func log(_ id: String) throws -> String {
        let file = try self[id].process.logFile
        return (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }
}

extension EtcdServer {
    /// `meshd apply -f` of `yaml`, written as `name` in the network's scratch directory, to this etcd.
    func apply(_ yaml: String, named name: String, in network: MeshNetwork) throws {
        let file = network.scratchDirectory.appendingPathComponent(name)
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let result = try Subprocess.run(
            [try MeshdProcess.executable(), "apply", "-f", file.path, "--etcd-endpoints", url], timeout: .seconds(30))
        guard result.succeeded else {
            throw HarnessError("meshd apply -f \(name) exited with \(result.status): \(result.stdout)\(result.stderr)")
        }
    }
}
