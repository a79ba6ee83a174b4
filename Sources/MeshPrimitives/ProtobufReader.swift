/// Reads the top-level fields of a serialised protobuf message without a schema, bounds-checked at every step: for
/// the few hot paths that must not decode a whole message (the SotW request reader, meshd-load's EDS scan).
public struct ProtobufReader {
    public struct Field: Sendable {
        public let number: Int
        public let wireType: Int
    }

    /// Why bytes are not a protobuf message.
    public enum Malformed: Error, Sendable {
        case truncated, malformed, invalidUTF8, tooDeep
    }

    private let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var atEnd: Bool { offset >= bytes.count }

    public mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw Malformed.truncated }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw Malformed.malformed }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    public mutating func field() throws -> Field {
        let tag = try varint()
        let number = tag >> 3
        guard number > 0, number <= 536_870_911 else { throw Malformed.malformed }
        return Field(number: Int(number), wireType: Int(tag & 7))
    }

    /// The payload of a length-delimited field whose tag was just read.
    public mutating func lengthDelimited() throws -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(bytes.count - offset) else { throw Malformed.truncated }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)])
        offset += Int(length)
        return payload
    }

    /// Skips the value of a field whose tag was just read. A group (unused by xDS, but valid as an unknown field)
    /// is skipped to its end tag, nested up to SwiftProtobuf's depth limit.
    public mutating func skip(_ field: Field, depth: Int = 0) throws {
        switch field.wireType {
        case 0: _ = try varint()
        case 1: try advance(8)
        case 2: _ = try lengthDelimited()
        case 3:
            guard depth < 100 else { throw Malformed.tooDeep }
            while true {
                let inner = try self.field()
                if inner.wireType == 4 {
                    guard inner.number == field.number else { throw Malformed.malformed }
                    return
                }
                try skip(inner, depth: depth + 1)
            }
        case 5: try advance(4)
        default: throw Malformed.malformed
        }
    }

    private mutating func advance(_ count: Int) throws {
        guard count <= bytes.count - offset else { throw Malformed.truncated }
        offset += count
    }
}
