/// One record read from an inotify descriptor: which watch it is for, what happened, and the entry's name inside
/// the watched directory (empty when the event is about the directory itself).
struct InotifyEvent: Sendable, Equatable {
    /// The size of `struct inotify_event` before its name: `wd`, `mask`, `cookie` and `len`, four bytes each.
    static let headerSize = 16

    var watch: Int32
    var mask: UInt32
    var name: String

    /// Whether any of the `IN_*` bits in `flags` is set.
    func has(_ flags: Int32) -> Bool {
        mask & UInt32(truncatingIfNeeded: flags) != 0
    }

    /// Decodes the records in the bytes one `read(2)` returned.
    ///
    /// The kernel returns whole records only, but the lengths are still checked: a record that claims to run past
    /// the end stops the list rather than trapping. The name is NUL-padded; invalid UTF-8 is replaced, not fatal.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        var offset = 0
        while bytes.count - offset >= headerSize {
            let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let nameLength = Int(clamping: bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameStart = offset + headerSize
            guard nameLength <= bytes.count - nameStart else { break }
            let name = bytes[nameStart..<nameStart + nameLength].prefix { $0 != 0 }
            events.append(InotifyEvent(watch: watch, mask: mask, name: String(decoding: name, as: UTF8.self)))
            offset = nameStart + nameLength
        }
        return events
    }
}
