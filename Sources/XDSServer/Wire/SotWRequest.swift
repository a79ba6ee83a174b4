public import EnvoyAPI
public import GRPCCore
import MeshPrimitives
public import SwiftProtobuf

/// A SotW `DiscoveryRequest` as the ADS server reads it: every field but `resource_names` decoded by SwiftProtobuf,
/// the names kept as their wire bytes with a digest, and made into Strings only when asked for.
///
/// Every SotW ACK repeats the whole subscription. An EDS ACK from a sidecar of a 5,000-service mesh names 5,000
/// clusters (about 300 KB), and nearly always it is the list the stream already holds: the digest says so without
/// building 5,000 Strings and hashing them.
public struct SotWRequest: Sendable {
    /// The request without its `resource_names` (those are `resourceNames`).
    public let message: Envoy_Service_Discovery_V3_DiscoveryRequest
    /// `SotWRequest.NamesDigest` of the names in order: equal lists have equal digests within one process.
    public let namesDigest: Int
    /// How many names the request carries.
    public let nameCount: Int
    private let names: Names

    private enum Names: Sendable {
        case decoded([String])
        /// The whole serialised request; its field 3 entries are the names, already checked to be UTF-8.
        case wire([UInt8])
    }

    /// A request built as a message (tests, fuzzing, in-process clients).
    public init(_ message: Envoy_Service_Discovery_V3_DiscoveryRequest) {
        var stripped = message
        stripped.resourceNames = []
        self.message = stripped
        self.namesDigest = NamesDigest.of(message.resourceNames)
        self.nameCount = message.resourceNames.count
        self.names = .decoded(message.resourceNames)
    }

    /// Reads a serialised request. Malformed bytes or invalid UTF-8 in a name throw, as decoding the whole message
    /// would (`ProtobufReader.Malformed`, or SwiftProtobuf's `BinaryDecodingError` for the other fields).
    public init(serializedBytes bytes: UnsafeRawBufferPointer) throws {
        var digest = NamesDigest()
        var rest: [UInt8] = []
        var restIsWhole = true
        var reader = ProtobufReader(bytes)
        while !reader.atEnd {
            let start = reader.offset
            let field = try reader.field()
            if field.number == Self.resourceNamesField, field.wireType == 2 {
                let name = try reader.lengthDelimited()
                guard Self.isUTF8(name) else { throw ProtobufReader.Malformed.invalidUTF8 }
                digest.add(name)
                if restIsWhole {
                    rest.reserveCapacity(min(bytes.count, 4_096))
                    rest.append(contentsOf: bytes[0..<start])
                    restIsWhole = false
                }
                continue
            }
            try reader.skip(field)
            if !restIsWhole { rest.append(contentsOf: bytes[start..<reader.offset]) }
        }
        if restIsWhole {
            message = try Envoy_Service_Discovery_V3_DiscoveryRequest(serializedBytes: Array(bytes))
            names = .decoded([])
        } else {
            message = try Envoy_Service_Discovery_V3_DiscoveryRequest(serializedBytes: rest)
            names = .wire(Array(bytes))
        }
        nameCount = digest.count
        namesDigest = digest.finalize()
    }

    /// The names, in the order the proxy sent them. Decodes them from the wire bytes on each call.
    public var resourceNames: [String] {
        switch names {
        case .decoded(let names):
            return names
        case .wire(let bytes):
            var decoded: [String] = []
            decoded.reserveCapacity(nameCount)
            bytes.withUnsafeBytes { raw in
                var reader = ProtobufReader(raw)
                // The bytes were read once already: they cannot fail now.
                while !reader.atEnd, let field = try? reader.field() {
                    if field.number == Self.resourceNamesField, field.wireType == 2,
                        let name = try? reader.lengthDelimited()
                    {
                        decoded.append(String(decoding: name, as: UTF8.self))
                    } else if (try? reader.skip(field)) == nil {
                        break
                    }
                }
            }
            return decoded
        }
    }

    public var typeURL: String { message.typeURL }
    public var responseNonce: String { message.responseNonce }
    public var versionInfo: String { message.versionInfo }
    public var hasErrorDetail: Bool { message.hasErrorDetail }
    public var errorDetail: Google_Rpc_Status { message.errorDetail }
    public var hasNode: Bool { message.hasNode }
    public var node: Envoy_Config_Core_V3_Node { message.node }

    /// `DiscoveryRequest.resource_names`.
    static let resourceNamesField = 3

    /// Whether `bytes` are UTF-8: eight bytes at a time while they are ASCII (resource names nearly always are),
    /// the standard library's validation otherwise.
    static func isUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index + 8 <= bytes.count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < bytes.count, bytes[index] < 0x80 { index += 1 }
        guard index < bytes.count else { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    /// The digest of a list of names: each name's length and bytes, then the count, through the process's seeded
    /// `Hasher`. Only compared within one process.
    public struct NamesDigest {
        private var hasher = Hasher()
        public private(set) var count = 0

        public init() {}

        public mutating func add(_ name: UnsafeRawBufferPointer) {
            hasher.combine(name.count)
            hasher.combine(bytes: name)
            count += 1
        }

        public func finalize() -> Int {
            var hasher = hasher
            hasher.combine(count)
            return hasher.finalize()
        }

        /// The digest of names given as Strings: equal to the one read from their wire bytes.
        public static func of(_ names: [String]) -> Int {
            var digest = NamesDigest()
            for var name in names {
                name.withUTF8 { digest.add(UnsafeRawBufferPointer($0)) }
            }
            return digest.finalize()
        }
    }
}

/// The ADS server's SotW request deserializer: `SotWRequest(serializedBytes:)` on the transport's bytes.
public struct SotWRequestDeserializer: MessageDeserializer {
    public init() {}

    public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> SotWRequest {
        try serializedMessageBytes.withUnsafeBytes { try SotWRequest(serializedBytes: $0) }
    }
}
