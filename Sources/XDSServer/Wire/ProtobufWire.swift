/// Just enough of the protobuf wire format to write a response around resources that are already serialised:
/// varints and length-delimited fields (strings, bytes, sub-messages).
enum ProtobufWire {
    /// The bytes a varint of `value` takes.
    static func varintSize(_ value: Int) -> Int {
        var value = UInt64(value)
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }

    /// The bytes a length-delimited field of `length` payload bytes takes, tag included (fields 1–15).
    static func fieldSize(payload length: Int) -> Int { 1 + varintSize(length) + length }

    /// The bytes a string field takes, or 0 when it is empty (proto3 leaves empty strings out).
    static func stringFieldSize(_ string: String) -> Int {
        string.isEmpty ? 0 : fieldSize(payload: string.utf8.count)
    }
}

/// Writes protobuf fields into a buffer sized beforehand. Not bounds-checked beyond a precondition: the size is
/// computed from the same values by the caller.
struct ProtobufWriter {
    private let buffer: UnsafeMutableRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    mutating func byte(_ value: UInt8) {
        buffer[offset] = value
        offset += 1
    }

    mutating func varint(_ value: Int) {
        var value = UInt64(value)
        while value >= 0x80 {
            byte(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        byte(UInt8(value))
    }

    /// A length-delimited field's tag and length; the caller writes the payload next.
    mutating func header(field: Int, length: Int) {
        byte(UInt8(field << 3 | 2))
        varint(length)
    }

    mutating func bytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { copy($0) }
    }

    private mutating func copy(_ source: UnsafeRawBufferPointer) {
        guard let base = source.baseAddress, !source.isEmpty else { return }
        precondition(offset + source.count <= buffer.count, "protobuf writer overflow")
        (buffer.baseAddress! + offset).copyMemory(from: base, byteCount: source.count)
        offset += source.count
    }

    mutating func bytesField(_ field: Int, _ payload: [UInt8]) {
        header(field: field, length: payload.count)
        bytes(payload)
    }

    /// A string field; nothing when the string is empty.
    mutating func stringField(_ field: Int, _ string: String) {
        guard !string.isEmpty else { return }
        header(field: field, length: string.utf8.count)
        utf8(string)
    }

    /// A string's UTF-8 bytes, copied at once where the string stores them contiguously (native Swift strings do),
    /// else byte by byte. A Delta response writes a name and a version for each of thousands of resources.
    mutating func utf8(_ string: String) {
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { copy(UnsafeRawBufferPointer($0)) }
        if copied == nil {
            for unit in string.utf8 { byte(unit) }
        }
    }
}
