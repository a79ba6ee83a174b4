/// The parts of the admin JSON that `meshd proxy-status` reads. Decoding is lenient: optional fields stay
/// optional, so an older or newer meshd still gives a table.
enum AdminJSON {
    /// One `/debug/syncz` row.
    struct Sync: Decodable, Sendable {
        var proxy: String
        var connectionID: UInt64
        var connectedSeconds: Double?
        var types: [String: TypeSync]
    }

    /// One type of a `/debug/syncz` row.
    struct TypeSync: Decodable, Sendable {
        var status: String
        var sentVersion: String?
        var sentNonce: String?
        var sentAgeSeconds: Double?
        var ackedVersion: String?
        var resourceNames: [String]?
        var lastNack: Nack?
        /// Subscribed names meshd told a proxyless gRPC client do not exist, with why.
        var notFound: [String: String]?
    }

    /// The last NACK of one type.
    struct Nack: Decodable, Sendable {
        var version: String?
        var nonce: String?
        var resourceNames: [String]?
        var error: String?
        var at: String?
    }

    /// One `/debug/connections` row.
    struct Connection: Decodable, Sendable {
        var proxy: String
        var connectionID: UInt64
        var remotePeer: String?
        var podName: String?
        var namespace: String?
        var clusterID: String?
    }

    /// One `/debug/nacks` row: a current rejection and the objects behind the rejected resources.
    struct NackExplanation: Decodable, Sendable {
        struct Source: Decodable, Sendable {
            var resource: String
            var object: String
            var source: String
        }

        var proxy: String
        var type: String
        var error: String
        var sources: [Source]
    }

    /// `/version`.
    struct Version: Decodable, Sendable {
        var version: String
    }
}

/// What `meshd proxy-status` shows for one connected proxy: its sync row and, when known, its connection.
struct ProxyStatusEntry: Sendable {
    var sync: AdminJSON.Sync
    var connection: AdminJSON.Connection?
    /// With `--etcd-endpoints`: the replica that serves the proxy, and the meshd version it runs.
    var replica: String? = nil
    var replicaVersion: String? = nil

    /// `pod.namespace`, from the connection or else from the node id (`sidecar~ip~pod.ns~domain`).
    var name: String {
        if let pod = connection?.podName, let namespace = connection?.namespace, !pod.isEmpty {
            return "\(pod).\(namespace)"
        }
        let parts = sync.proxy.split(separator: "~", omittingEmptySubsequences: false)
        return parts.count == 4 ? String(parts[2]) : sync.proxy
    }

    /// The node's CLUSTER_ID, or `-`.
    var cluster: String { connection?.clusterID.flatMap { $0.isEmpty ? nil : $0 } ?? "-" }

    /// Pairs sync rows with connections by connection id.
    static func join(_ syncs: [AdminJSON.Sync], _ connections: [AdminJSON.Connection]) -> [ProxyStatusEntry] {
        let byID = Dictionary(connections.map { ($0.connectionID, $0) }, uniquingKeysWith: { first, _ in first })
        return syncs.map { ProxyStatusEntry(sync: $0, connection: byID[$0.connectionID]) }
            .sorted { ($0.name, $0.sync.connectionID) < ($1.name, $1.sync.connectionID) }
    }
}
