public import EnvoyAPI
public import SwiftProtobuf

/// One named xDS resource, packed as `Any`, with the hash of its serialised content as its version.
///
/// Immutable and `Sendable`: the same value (and its bytes) can be shared by every connection that sees it.
public struct XDSResource: Sendable, Hashable {
    public let name: String
    public let resource: Google_Protobuf_Any
    /// Content hash of the serialised resource; equal content gives equal versions across restarts.
    public let version: String

    public init(name: String, resource: Google_Protobuf_Any) throws {
        self.name = name
        self.resource = resource
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        let bytes: [UInt8] = try resource.serializedBytes(options: options)
        var hash = ContentHash()
        hash.combine(name)
        hash.combine(bytes: bytes)
        self.version = hash.hex
    }

    /// The version of a whole SotW response: a hash over the names and versions of its resources.
    public static func setVersion(of resources: [XDSResource]) -> String {
        var hash = ContentHash()
        for resource in resources.sorted(by: { $0.name < $1.name }) {
            hash.combine(resource.name)
            hash.combine(resource.version)
        }
        return hash.hex
    }

    /// A digest of the resources' names, in order: equal lists of names give equal digests. Cheap next to
    /// `setVersion(of:)` (no sorting, no versions); what a stream remembers its subscription was found to cover.
    public static func namesDigest(of resources: [XDSResource]) -> UInt64 {
        var hash = ContentHash()
        for resource in resources { hash.combine(resource.name) }
        return hash.value
    }
}
