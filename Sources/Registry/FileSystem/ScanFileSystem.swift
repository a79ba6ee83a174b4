import Foundation

/// The few file-system calls a directory scan makes, behind one seam so that tests can make them fail the way a
/// real system does (EMFILE, EIO, a directory that cannot be listed) without needing to be root or to exhaust the
/// machine.
///
/// Every call reports failure as a `FileSystemError` carrying the `errno`, because the scan's one hard rule depends
/// on it: only a confirmed absence (`ENOENT`, `ENOTDIR`) may become a deletion; every other error keeps the last good
/// state. Implementations must be thread-safe.
protocol ScanFileSystem: Sendable {
    /// The names in a directory (without `.` and `..`) and what each is, without following symbolic links.
    func entries(of directory: String) throws(FileSystemError) -> [DirectoryEntry]
    /// What `path` is, following symbolic links.
    func status(of path: String) throws(FileSystemError) -> FileStatus
    /// The whole content of a file.
    func contents(of path: String) throws(FileSystemError) -> Data
    /// Where a symbolic link points, as written in the link (possibly relative).
    func linkTarget(of path: String) throws(FileSystemError) -> String
}

/// One name in a directory listing.
struct DirectoryEntry: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case file
        case directory
        case symbolicLink
        case other
    }

    var name: String
    var kind: Kind
}

/// What a scan needs to know of a file to decide whether to read it again.
struct FileStatus: Sendable, Equatable {
    /// Modification time in nanoseconds since the epoch.
    var modifiedNanoseconds: Int64
    var size: Int64
    var isDirectory: Bool
}

/// A failed file-system call: which call, on which path, and the `errno` it failed with.
struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed, as operators know it: `opendir`, `readdir`, `stat`, `open`, `read`, `readlink`.
    var operation: String
    var path: String
    var code: Int32

    /// The path is not there (or a component of it is not a directory): the one failure that may mean deletion.
    var isAbsence: Bool { code == ENOENT || code == ENOTDIR }

    /// Out of descriptors or memory: the process or machine is short of a resource, and will likely recover.
    var isResourceShortage: Bool { code == EMFILE || code == ENFILE || code == ENOMEM || code == ENOBUFS }

    var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}
