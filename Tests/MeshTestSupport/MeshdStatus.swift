/// One proxy's entry in meshd's `GET /debug/syncz`.
public struct ProxySyncStatus: Decodable, Sendable {
    /// The proxy's node id.
    public var proxy: String
    /// By short type name: "cds", "lds", "rds", "eds".
    public var types: [String: TypeSyncStatus]
}

/// What meshd sent one proxy for one type URL, and what the proxy accepted or rejected.
public struct TypeSyncStatus: Decodable, Sendable {
    public var typeUrl: String?
    public var sentVersion: String?
    public var sentNonce: String?
    public var ackedVersion: String?
    /// Delta only: what the proxy accepted, name to each resource's own version.
    public var ackedResources: [String: String]?
    public var lastNack: Nack?

    /// A rejection the proxy reported with `error_detail`.
    public struct Nack: Decodable, Sendable {
        public var version: String?
        public var nonce: String?
        public var error: String?
        public var at: String?
    }
}

/// meshd's `GET /debug/configz`: the objects in force and the input it refused.
public struct ConfigStatus: Decodable, Sendable {
    public var objects: [Object]
    public var errors: [Problem]

    /// A resource in force, e.g. `VirtualService/default/reviews`, and where it came from.
    public struct Object: Decodable, Sendable {
        public var key: String
        public var source: String?
    }

    /// A refused input: the file, line, object and field path it concerns, and why.
    public struct Problem: Decodable, Sendable, CustomStringConvertible {
        public var message: String
        public var file: String?
        public var line: Int?
        public var object: String?
        public var field: String?
        public var reason: String?

        public var description: String { message }
    }
}
