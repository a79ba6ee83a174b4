import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real file system, through the POSIX calls themselves rather than `FileManager`, whose enumerator and
/// `contents(atPath:)` turn every failure (EMFILE included) into "nothing there": the defect that once made meshd
/// log every file as removed when it ran out of descriptors. Stateless, so thread-safe.
struct POSIXFileSystem: ScanFileSystem {
    func entries(of directory: String) throws(FileSystemError) -> [DirectoryEntry] {
        guard let handle = opendir(directory) else {
            throw FileSystemError(operation: "opendir", path: directory, code: errno)
        }
        defer { closedir(handle) }
        var result: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                // NULL is both the end and an error; only errno tells them apart.
                let code = errno
                if code != 0 { throw FileSystemError(operation: "readdir", path: directory, code: code) }
                return result
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            result.append(DirectoryEntry(name: name, kind: try kind(of: entry.pointee.d_type, directory, name)))
        }
    }

    /// `d_type`, or `lstat` for file systems that leave it unknown. An entry gone since the listing is `.other`:
    /// the scan then finds it absent through `status`.
    private func kind(
        of type: UInt8, _ directory: String, _ name: String
    ) throws(FileSystemError) -> DirectoryEntry.Kind {
        switch Int32(type) {
        case Int32(DT_REG): return .file
        case Int32(DT_DIR): return .directory
        case Int32(DT_LNK): return .symbolicLink
        case Int32(DT_UNKNOWN):
            var info = stat()
            let path = directory + "/" + name
            guard lstat(path, &info) == 0 else {
                let code = errno
                if code == ENOENT { return .other }
                throw FileSystemError(operation: "lstat", path: path, code: code)
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG: return .file
            case S_IFDIR: return .directory
            case S_IFLNK: return .symbolicLink
            default: return .other
            }
        default: return .other
        }
    }

    func status(of path: String) throws(FileSystemError) -> FileStatus {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileSystemError(operation: "stat", path: path, code: errno) }
        #if canImport(Darwin)
            let modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
            let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        return FileStatus(
            modifiedNanoseconds: modified, size: Int64(info.st_size), isDirectory: info.st_mode & S_IFMT == S_IFDIR)
    }

    func contents(of path: String) throws(FileSystemError) -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(operation: "open", path: path, code: errno) }
        defer { close(descriptor) }
        var data = Data()
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, chunk) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw FileSystemError(operation: "read", path: path, code: code)
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    func linkTarget(of path: String) throws(FileSystemError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { throw FileSystemError(operation: "readlink", path: path, code: errno) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
