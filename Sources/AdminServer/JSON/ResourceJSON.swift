import EnvoyAPI
import Foundation
import SwiftProtobuf
import XDSServer

/// Envoy JSON of resources as they were sent: decoded from each `XDSResource`'s stored `Any` bytes, never generated
/// anew. Nested `Any`s expand through SwiftProtobuf's type registry, which the translator fills with every type it
/// packs (`XDSTranslator.init`).
enum ResourceJSON {
    /// The resource's message as Foundation JSON values (the message itself, not the `Any` around it); nil when its
    /// type is not registered or its bytes do not decode.
    static func object(of resource: XDSResource) -> Any? {
        guard let message = message(of: resource), let json = try? message.jsonString() else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(json.utf8))
    }

    /// The resource's message, decoded from its bytes by the type URL of its `Any`.
    static func message(of resource: XDSResource) -> (any SwiftProtobuf.Message)? {
        let any = resource.resource
        guard let type = Google_Protobuf_Any.messageType(forTypeURL: any.typeURL) else { return nil }
        var message = type.init()
        do {
            try message.merge(serializedBytes: any.value)
        } catch {
            return nil
        }
        return message
    }
}
