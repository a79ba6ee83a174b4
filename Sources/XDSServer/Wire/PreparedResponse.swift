public import EnvoyAPI
public import GRPCCore
public import SwiftProtobuf

/// A message the ADS server writes straight from bytes it already holds: each resource's serialised `Any`
/// (`XDSResource.encoded`, made once and shared by every stream) plus a few short per-stream fields.
public protocol PreparedMessage: Sendable {
    /// The exact serialised size.
    var wireSize: Int { get }
    /// Writes the serialised message into `buffer`, which holds exactly `wireSize` bytes.
    func write(into buffer: UnsafeMutableRawBufferPointer)
}

extension PreparedMessage {
    /// The serialised message.
    public var serializedBytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: wireSize) { buffer, count in
            write(into: UnsafeMutableRawBufferPointer(buffer))
            count = wireSize
        }
    }
}

/// A SotW `DiscoveryResponse`, written from the resources' stored bytes.
public struct PreparedResponse: PreparedMessage, Sendable {
    public var versionInfo: String
    public var typeURL: String
    public var nonce: String
    public var controlPlaneID: String
    public var resources: [XDSResource]
    /// Subscribed names the response cannot carry, each with why (`resource_errors`, NOT_FOUND): only for clients
    /// that read them (proxyless gRPC, gRFC A88); empty for Envoy, which keeps the spec's empty answer.
    public var resourceErrors: [MissingResource]
    /// Each of `resourceErrors` as a serialised `ResourceError`.
    private let encodedErrors: [[UInt8]]
    public let wireSize: Int

    public init(
        versionInfo: String, typeURL: String, nonce: String, controlPlaneID: String, resources: [XDSResource],
        resourceErrors: [MissingResource] = []
    ) {
        self.versionInfo = versionInfo
        self.typeURL = typeURL
        self.nonce = nonce
        self.controlPlaneID = controlPlaneID
        self.resources = resources
        self.resourceErrors = resourceErrors
        encodedErrors = resourceErrors.map(\.encoded)
        var size =
            ProtobufWire.stringFieldSize(versionInfo) + ProtobufWire.stringFieldSize(typeURL)
            + ProtobufWire.stringFieldSize(nonce)
        for resource in resources { size += ProtobufWire.fieldSize(payload: resource.encoded.count) }
        if !controlPlaneID.isEmpty {
            size += ProtobufWire.fieldSize(payload: ProtobufWire.stringFieldSize(controlPlaneID))
        }
        for error in encodedErrors { size += ProtobufWire.fieldSize(payload: error.count) }
        self.wireSize = size
    }

    // DiscoveryResponse: version_info = 1, resources = 2, type_url = 4, nonce = 5, control_plane = 6
    // (ControlPlane: identifier = 1), resource_errors = 7.
    public func write(into buffer: UnsafeMutableRawBufferPointer) {
        var writer = ProtobufWriter(buffer)
        writer.stringField(1, versionInfo)
        for resource in resources { writer.bytesField(2, resource.encoded) }
        writer.stringField(4, typeURL)
        writer.stringField(5, nonce)
        if !controlPlaneID.isEmpty {
            writer.header(field: 6, length: ProtobufWire.stringFieldSize(controlPlaneID))
            writer.stringField(1, controlPlaneID)
        }
        for error in encodedErrors { writer.bytesField(7, error) }
        precondition(writer.offset == wireSize, "DiscoveryResponse size mismatch")
    }

    /// The response as Envoy's message type, decoded from the bytes this writes (for in-process callers and tests).
    public var message: Envoy_Service_Discovery_V3_DiscoveryResponse {
        (try? Envoy_Service_Discovery_V3_DiscoveryResponse(serializedBytes: serializedBytes)) ?? .init()
    }
}

/// A subscribed resource the server cannot send, and why: a `ResourceError` with NOT_FOUND (xRFC TP3).
public struct MissingResource: Sendable, Hashable {
    public var name: String
    public var reason: String

    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }

    /// The serialised `ResourceError`.
    var encoded: [UInt8] {
        var error = Envoy_Service_Discovery_V3_ResourceError()
        error.resourceName.name = name
        error.errorDetail.code = 5  // NOT_FOUND
        error.errorDetail.message = reason
        return (try? error.serializedBytes()) ?? []
    }
}

/// A `DeltaDiscoveryResponse`, written from the resources' stored bytes.
public struct PreparedDeltaResponse: PreparedMessage, Sendable {
    public var systemVersionInfo: String
    public var typeURL: String
    public var nonce: String
    public var resources: [XDSResource]
    public var removedResources: [String]
    public let wireSize: Int

    public init(
        systemVersionInfo: String, typeURL: String, nonce: String, resources: [XDSResource], removedResources: [String]
    ) {
        self.systemVersionInfo = systemVersionInfo
        self.typeURL = typeURL
        self.nonce = nonce
        self.resources = resources
        self.removedResources = removedResources
        var size =
            ProtobufWire.stringFieldSize(systemVersionInfo) + ProtobufWire.stringFieldSize(typeURL)
            + ProtobufWire.stringFieldSize(nonce)
        for resource in resources { size += ProtobufWire.fieldSize(payload: Self.entrySize(resource)) }
        for name in removedResources { size += ProtobufWire.fieldSize(payload: name.utf8.count) }
        self.wireSize = size
    }

    /// Resource: version = 1, resource = 2, name = 3.
    private static func entrySize(_ resource: XDSResource) -> Int {
        ProtobufWire.stringFieldSize(resource.version) + ProtobufWire.fieldSize(payload: resource.encoded.count)
            + ProtobufWire.stringFieldSize(resource.name)
    }

    // DeltaDiscoveryResponse: system_version_info = 1, resources = 2, type_url = 4, nonce = 5, removed_resources = 6.
    public func write(into buffer: UnsafeMutableRawBufferPointer) {
        var writer = ProtobufWriter(buffer)
        writer.stringField(1, systemVersionInfo)
        for resource in resources {
            writer.header(field: 2, length: Self.entrySize(resource))
            writer.stringField(1, resource.version)
            writer.bytesField(2, resource.encoded)
            writer.stringField(3, resource.name)
        }
        writer.stringField(4, typeURL)
        writer.stringField(5, nonce)
        for name in removedResources {
            writer.header(field: 6, length: name.utf8.count)
            writer.utf8(name)
        }
        precondition(writer.offset == wireSize, "DeltaDiscoveryResponse size mismatch")
    }

    /// The response as Envoy's message type, decoded from the bytes this writes (for in-process callers and tests).
    public var message: Envoy_Service_Discovery_V3_DeltaDiscoveryResponse {
        (try? Envoy_Service_Discovery_V3_DeltaDiscoveryResponse(serializedBytes: serializedBytes)) ?? .init()
    }
}

/// Hands the transport a prepared message's bytes, written once into the transport's own buffer.
public struct PreparedMessageSerializer<Message: PreparedMessage>: MessageSerializer {
    public init() {}

    public func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        var bytes = Bytes(repeating: 0, count: message.wireSize)
        bytes.withUnsafeMutableBytes { message.write(into: $0) }
        return bytes
    }
}
