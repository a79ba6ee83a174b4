public import MeshModel
public import SwiftProtobuf

/// One named xDS resource, packed and ready to put into a `DiscoveryResponse`.
///
/// The `Any` already holds the serialised bytes (encoded once, with deterministic map order), so equal
/// content gives equal bytes across processes and re-sending it costs no re-encoding.
public struct TranslatedResource: Sendable, Hashable {
    /// The resource name Envoy subscribes to (cluster, listener or route configuration name).
    public let name: String
    /// The message packed with its type URL.
    public let resource: Google_Protobuf_Any
    /// The configuration objects the generator read to build this resource, sorted and unique (see
    /// `TranslatedMessage.sources`). Not part of the bytes.
    public let sources: [ResourceKey]

    public init(name: String, resource: Google_Protobuf_Any, sources: [ResourceKey] = []) {
        self.name = name
        self.resource = resource
        self.sources = TranslatedMessage.normalized(sources)
    }
}

/// One named xDS resource as its typed message, before packing: for golden files and config dumps.
public struct TranslatedMessage: Sendable {
    public let name: String
    public let message: any SwiftProtobuf.Message
    /// The configuration objects the generator read to build this resource (the Service or ServiceEntry of a
    /// cluster, the DestinationRule whose policy applied, the VirtualServices whose routes it holds, the policies
    /// whose filters it carries...), sorted and unique: what a NACK of it is explained by. Empty for resources that
    /// come from no object (virtualOutbound, BlackHoleCluster, the proxy's own certificate).
    public let sources: [ResourceKey]

    public init(name: String, message: any SwiftProtobuf.Message, sources: [ResourceKey] = []) {
        self.name = name
        self.message = message
        self.sources = Self.normalized(sources)
    }

    /// Sorted, without duplicates. Runs for every generated resource, so it avoids hashing: keys that are already
    /// sorted and unique (as `TranslatedResource` receives them from a `TranslatedMessage`) are returned as they
    /// are; others are sorted and adjacent duplicates dropped.
    static func normalized(_ keys: [ResourceKey]) -> [ResourceKey] {
        guard keys.count > 1 else { return keys }
        if zip(keys, keys.dropFirst()).allSatisfy({ $0 < $1 }) { return keys }
        var sorted = keys.sorted()
        var kept = 1
        for index in 1..<sorted.count where sorted[index] != sorted[kept - 1] {
            sorted[kept] = sorted[index]
            kept += 1
        }
        sorted.removeLast(sorted.count - kept)
        return sorted
    }
}
