import EnvoyAPI
import Foundation
import MeshModel
import SwiftProtobuf

/// Packs a message into an `Any` holding its serialised bytes, encoded with deterministic map order so equal
/// content gives equal bytes in every process (versions are content hashes).
func packAny(_ message: any SwiftProtobuf.Message) -> Google_Protobuf_Any {
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    var any = Google_Protobuf_Any()
    any.typeURL = "type.googleapis.com/\(type(of: message).protoMessageName)"
    do {
        any.value = try message.serializedBytes(partial: true, options: options)
    } catch {
        // Proto3 messages have no required fields; partial encoding only fails past 2 GiB.
        assertionFailure("cannot encode \(any.typeURL): \(error)")
    }
    return any
}

/// Registers every message type the translator packs into an `Any`, so JSON encoding (golden files, config
/// dumps) can expand them: the mesh model's registry (`EnvoyTypeRegistry`), which EnvoyFilter patch values need too.
enum AnyTypeRegistry {
    static var registered: Bool { EnvoyTypeRegistry.registered }
}
