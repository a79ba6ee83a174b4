import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Atomic, permission-controlled file writes for the CA's state directory.
enum SecureFile {
    /// Writes `contents` to `path` atomically: a temporary file in the same directory, created with `mode`
    /// from the start (so a key is never readable by others, not even briefly), flushed to disk, then renamed
    /// over `path`. A crash leaves either the old file or the new one, never a torn one.
    static func write(_ contents: String, to path: String, mode: mode_t) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.\((path as NSString).lastPathComponent).\(UInt64.random(in: 0 ... .max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard descriptor >= 0 else {
            throw CAError(file: path, reason: "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary) }
        }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress.map { $0 + written }, bytes.count - written)
            }
            guard result > 0 else {
                close(descriptor)
                throw CAError(file: path, reason: "cannot write: \(String(cString: strerror(errno)))")
            }
            written += result
        }
        // The umask may have narrowed the mode; make it exactly what was asked for.
        fchmod(descriptor, mode)
        let flushed = fsync(descriptor) == 0
        let closed = close(descriptor) == 0
        guard flushed, closed else {
            throw CAError(file: path, reason: "cannot flush to disk: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            throw CAError(file: path, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
        }
        succeeded = true
    }

    /// Creates `path` (and parents) with mode 0700 if missing.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CAError(file: path, reason: "cannot create the state directory: \(error.localizedDescription)")
        }
    }
}
