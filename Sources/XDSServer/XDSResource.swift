public import EnvoyAPI
public import MeshPrimitives
public import SwiftProtobuf

/// One named xDS resource, serialised once as a `google.protobuf.Any`, with the hash of those bytes as its version.
///
/// Immutable and `Sendable`: the same value, and its bytes, are shared by every connection that sees it. Responses
/// are written from `encoded` directly (`PreparedResponse`), so no stream serialises a resource again.
public struct XDSResource: Sendable, Hashable {
    public let name: String
    /// The `Any`'s deterministic wire bytes: what a response's `resources` field carries.
    public let encoded: [UInt8]
    /// Content hash of the name and the serialised resource; equal content gives equal versions across restarts.
    public let version: String
    /// The configuration objects the resource was generated from (`withSources(_:)`): for explaining a NACK in the
    /// operator's terms. Not part of the bytes, the version, equality or hashing.
    public internal(set) var sources: [ResourceKey] = []

    public init(name: String, resource: Google_Protobuf_Any) throws {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        try self.init(name: name, encoded: resource.serializedBytes(options: options))
    }

    /// A resource from an `Any` already serialised (deterministically, for stable versions).
    public init(name: String, encoded: [UInt8]) throws {
        self.name = name
        self.encoded = encoded
        var hash = FNV1a64()
        hash.add(field: name)
        hash.add(bytes: encoded)
        self.version = hash.hex
    }

    /// The resource as an `Any`, decoded from `encoded` (for dumps and tests; the push path never needs it).
    public var resource: Google_Protobuf_Any {
        (try? Google_Protobuf_Any(serializedBytes: encoded)) ?? Google_Protobuf_Any()
    }

    /// The serialised size, what metrics count as bytes pushed.
    public var byteCount: Int { encoded.count }

    // The version is a hash of the name and the bytes: comparing it (and the size) compares the content without
    // walking megabytes.
    public static func == (lhs: XDSResource, rhs: XDSResource) -> Bool {
        lhs.name == rhs.name && lhs.version == rhs.version && lhs.encoded.count == rhs.encoded.count
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(version)
    }

    /// The version of a whole SotW response: a hash over the names and versions of its resources.
    public static func setVersion(of resources: [XDSResource]) -> String {
        var hash = FNV1a64()
        for resource in resources.sorted(by: { $0.name < $1.name }) {
            hash.add(field: resource.name)
            hash.add(field: resource.version)
        }
        return hash.hex
    }

    /// A digest of the resources' names, in order: equal lists of names give equal digests. Cheap next to
    /// `setVersion(of:)` (no sorting, no versions); what a stream remembers its subscription was found to cover.
    public static func namesDigest(of resources: [XDSResource]) -> UInt64 {
        var hash = FNV1a64()
        for resource in resources { hash.add(field: resource.name) }
        return hash.value
    }
}
