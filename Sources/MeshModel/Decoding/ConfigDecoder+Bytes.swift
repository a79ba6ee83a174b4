extension ConfigDecoder {
    /// Decodes a file as read from disk: text that is not UTF-8 is refused with an error naming the byte offset
    /// (and line) of the first invalid byte, like a file over `limits.maxFileBytes`; otherwise as `decode(yaml:)`.
    public static func decode(bytes: [UInt8], file: String, limits: DecodeLimits = .default) -> DecodeResult {
        if bytes.count > limits.maxFileBytes { return refusal(file, tooLarge: bytes.count, limits: limits) }
        switch UTF8Text.decode(bytes) {
        case .success(let text): return decode(yaml: text, file: file, limits: limits)
        case .failure(let invalid):
            let diagnostic = ConfigDiagnostic(
                file: file, document: 1, line: invalid.line, fieldPath: "", reason: invalid.description,
                severity: .error)
            return DecodeResult(errors: [diagnostic])
        }
    }

    /// The error for a file larger than the limit.
    static func refusal(_ file: String, tooLarge size: Int, limits: DecodeLimits) -> DecodeResult {
        let diagnostic = ConfigDiagnostic(
            file: file, document: 1, fieldPath: "",
            reason: "file is \(size) bytes, more than the limit of \(limits.maxFileBytes) bytes; not decoded",
            severity: .error)
        return DecodeResult(errors: [diagnostic])
    }
}

/// Where a byte sequence stops being UTF-8.
public struct InvalidUTF8: Error, Sendable, Hashable, CustomStringConvertible {
    /// 0-based offset of the first byte that is not part of a valid UTF-8 sequence.
    public var byteOffset: Int
    /// 1-based line of that byte.
    public var line: Int
    /// The offending byte.
    public var byte: UInt8

    public var description: String {
        let hex = String(byte, radix: 16, uppercase: true)
        return
            "not UTF-8 text: invalid byte 0x\(hex.count == 1 ? "0" + hex : hex) at byte offset \(byteOffset) (line \(line))"
    }
}

/// Strict UTF-8 decoding that says where it fails. Linear; no Foundation.
public enum UTF8Text {
    public static func decode(_ bytes: [UInt8]) -> Result<String, InvalidUTF8> {
        // The standard library's validation is fast; the scalar-by-scalar walk only runs to say where it failed.
        if let text = String(validating: bytes, as: UTF8.self) { return .success(text) }
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        var line = 1
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1 && encoded.first == UInt8(ascii: "\n") { line += 1 }
                offset += encoded.count
            case .emptyInput:
                return .success(String(decoding: bytes, as: UTF8.self))
            case .error:
                let byte = offset < bytes.count ? bytes[offset] : 0
                return .failure(InvalidUTF8(byteOffset: offset, line: line, byte: byte))
            }
        }
    }
}
