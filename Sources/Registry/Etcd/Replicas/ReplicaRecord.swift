import Foundation

/// What one replica publishes about itself under `<prefix>/_replicas/<id>`, bound to its lease (so the key goes
/// when the replica does): where proxies and operators reach it. JSON in etcd.
public struct ReplicaRecord: Codable, Sendable, Hashable {
    /// The replica's id (`--replica-id`), also the last segment of its key.
    public var id: String
    /// Its xDS listeners as proxies are given them: `HOST:PORT` or `unix:PATH`.
    public var xds: [String]
    /// Its admin server, `http://HOST:PORT`: what `meshd proxy-status --etcd-endpoints` asks.
    public var admin: String?
    /// The meshd version it runs.
    public var version: String
    /// The TTL of the lease the key is bound to, in seconds.
    public var leaseTTLSeconds: Int64

    public init(id: String, xds: [String], admin: String?, version: String, leaseTTLSeconds: Int64) {
        self.id = id
        self.xds = xds
        self.admin = admin
        self.version = version
        self.leaseTTLSeconds = leaseTTLSeconds
    }

    /// The stored form: sorted-key JSON, so the same record is the same bytes.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map(Array.init) ?? []
    }

    /// Decodes a stored record; nil (with `error` set) for a value that is not one.
    public static func decode(_ bytes: [UInt8]) throws -> ReplicaRecord {
        try JSONDecoder().decode(ReplicaRecord.self, from: Data(bytes))
    }

    /// A replica id must be one key segment: letters, digits, `.`, `-`, `_`, 1 to 128 characters.
    public static func validID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 128
            && id.unicodeScalars.allSatisfy { scalar in
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || scalar == "." || scalar == "-" || scalar == "_"
            }
    }
}
