import EtcdClient
import Foundation
import Registry

/// One meshd that `meshd proxy-status` asks: the `--admin` one, or each replica registered on etcd.
struct ProxyStatusSource: Sendable {
    var client: AdminClient
    /// The replica's id, when it came from the registry.
    var replica: String?

    /// Its proxies, each stamped with this replica and its version.
    func entries() async throws -> [ProxyStatusEntry] {
        async let syncs = client.get("/debug/syncz", as: [AdminJSON.Sync].self)
        async let connections = client.get("/debug/connections", as: [AdminJSON.Connection].self)
        async let version = client.get("/version", as: AdminJSON.Version.self)
        let meshdVersion = try await version.version
        return ProxyStatusEntry.join(try await syncs, try await connections).map { entry in
            var entry = entry
            entry.replica = replica
            entry.replicaVersion = meshdVersion
            return entry
        }
    }

    /// Every replica registered under `<prefix>/_replicas/` that has an admin address. A value that is not a
    /// replica record is reported on stderr and skipped.
    static func replicas(
        connection: EtcdConnection, layout: EtcdKeyLayout, token: String?
    ) async throws -> [ProxyStatusSource] {
        let prefix = layout.reservedKey("replicas") + "/"
        let listing: EtcdListing
        do {
            listing = try await EtcdClient.withAnySession(connection) { session in
                try await session.list(prefix: prefix)
            }
        } catch {
            throw AdminClientError(description: "reading the replica registry \(prefix) from \(connection): \(error)")
        }
        var sources: [ProxyStatusSource] = []
        for keyValue in listing.keyValues {
            let record: ReplicaRecord
            do {
                record = try ReplicaRecord.decode(keyValue.value)
            } catch {
                FileHandle.standardError.write(
                    Data("meshd proxy-status: \(keyValue.key) is not a replica record (\(error)); skipped\n".utf8))
                continue
            }
            if let source = source(of: record, token: token) { sources.append(source) }
        }
        if sources.isEmpty {
            throw AdminClientError(description: "no replica is registered under \(prefix) on \(connection)")
        }
        return sources.sorted { ($0.replica ?? "") < ($1.replica ?? "") }
    }
}

extension ProxyStatusSource {
    /// Every replica whose registry Lease in `namespace` is still held and names an admin address.
    static func replicas(
        kubernetes connection: KubernetesConnection, namespace: String, token: String?
    ) async throws -> [ProxyStatusSource] {
        let records: [ReplicaRecord]
        do {
            records = try await KubernetesClient.with(connection) { client in
                try await KubernetesReplicaService.liveReplicas(LeaseClient(client: client), namespace: namespace)
            }
        } catch {
            throw AdminClientError(
                description: "reading the replica Leases of \(namespace) from \(connection.server): \(error)")
        }
        var sources: [ProxyStatusSource] = []
        for record in records {
            if let source = source(of: record, token: token) { sources.append(source) }
        }
        if sources.isEmpty {
            throw AdminClientError(
                description: "no live replica is registered in namespace \(namespace) on \(connection.server)")
        }
        return sources
    }

    /// The admin endpoint of a registered replica; nil, said on standard error, for one that registered none.
    private static func source(of record: ReplicaRecord, token: String?) -> ProxyStatusSource? {
        guard let admin = record.admin, let url = URL(string: admin) else {
            FileHandle.standardError.write(
                Data("meshd proxy-status: replica \(record.id) registered no admin address; skipped\n".utf8))
            return nil
        }
        return ProxyStatusSource(client: AdminClient(base: url, token: token), replica: record.id)
    }
}
