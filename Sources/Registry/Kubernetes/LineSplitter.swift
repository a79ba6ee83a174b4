import NIOCore

/// Cuts a byte stream into newline-terminated lines, keeping a partial line until its end arrives.
///
/// A watch stream's chunks do not respect event boundaries: one chunk may hold several events or half of one.
struct LineSplitter {
    private var pending: [UInt8] = []

    /// Adds a chunk and returns every line it completed, without the newline.
    mutating func append(_ chunk: ByteBuffer) -> [[UInt8]] {
        pending.append(contentsOf: chunk.readableBytesView)
        var lines: [[UInt8]] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(Array(pending[..<newline]))
            pending.removeSubrange(...newline)
        }
        return lines
    }
}
