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

    public init(name: String, resource: Google_Protobuf_Any) {
        self.name = name
        self.resource = resource
    }
}

/// One named xDS resource as its typed message, before packing: for golden files and config dumps.
public struct TranslatedMessage: Sendable {
    public let name: String
    public let message: any SwiftProtobuf.Message

    public init(name: String, message: any SwiftProtobuf.Message) {
        self.name = name
        self.message = message
    }
}
