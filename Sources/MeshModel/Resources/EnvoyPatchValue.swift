public import SwiftProtobuf

/// An EnvoyFilter patch value, decoded once (when the object is read) into the Envoy message its `applyTo` names:
/// a `Cluster` for CLUSTER, an `HttpFilter` for HTTP_FILTER, and so on; a `google.protobuf.Struct` for BOOTSTRAP,
/// whose `Bootstrap` message meshd does not model.
///
/// Extension configs (`typed_config` and every other `google.protobuf.Any`) whose type meshd's Envoy API does not
/// have are carried as `udpa.type.v1.TypedStruct`, which Envoy turns into the real type itself: nothing of them is
/// dropped. Fields of the types meshd does have must be ones it knows: an unknown field is refused, never dropped.
///
/// Equal by type and content (the deterministic encoding).
public struct EnvoyPatchValue: Sendable, Hashable {
    public let message: any SwiftProtobuf.Message
    /// The value as JSON (after the TypedStruct conversion): what MERGE_AND_REPLACE_LIST merges and what errors show.
    public let json: String
    private let bytes: [UInt8]

    public init(message: any SwiftProtobuf.Message, json: String) {
        self.message = message
        self.json = json
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        bytes = (try? message.serializedBytes(partial: true, options: options)) ?? []
    }

    /// The value as `type`; nil when it is another type.
    public func `as`<M: SwiftProtobuf.Message>(_ type: M.Type) -> M? { message as? M }

    public var typeName: String { type(of: message).protoMessageName }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.typeName == rhs.typeName && lhs.bytes == rhs.bytes }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(typeName)
        hasher.combine(bytes)
    }
}
