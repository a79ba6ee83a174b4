extension String {
    /// The string cut to at most `maxBytes` bytes of UTF-8, on a character boundary, with a note saying how much was
    /// left out; the string itself when it fits.
    func truncated(toUTF8Bytes maxBytes: Int, note: String = "") -> String {
        let total = utf8.count
        guard total > maxBytes else { return self }
        var bytes = 0
        var end = startIndex
        for index in indices {
            let size = self[index].utf8.count
            if bytes + size > maxBytes { break }
            bytes += size
            end = self.index(after: index)
        }
        return String(self[..<end]) + "… [\(total - bytes) more bytes\(note)]"
    }
}
