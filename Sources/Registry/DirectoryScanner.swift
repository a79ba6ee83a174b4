import Foundation
import MeshModel
import MeshPrimitives
import Synchronization

/// Finds which YAML files under a directory changed since the last scan, and which are confirmed gone.
///
/// The rules that keep a broken or busy file system from emptying the mesh:
/// - **An I/O error is never a deletion.** A directory that cannot be listed keeps every file seen below it; a file
///   that cannot be stat'ed or read keeps its last state and is read again next scan. Only a confirmed absence (a
///   listing that succeeded without the file, or `ENOENT`) counts, and the failure is returned for logging and
///   counting. A configured directory that cannot be listed at all fails the whole scan.
/// - **A vanished file is removed only once it has stayed gone for `quietPeriod`**, so a save by delete-and-rename
///   or a `git checkout` that unlinks and rewrites a file is no change at all. `Outcome.nextCheck` says when to
///   look again.
/// - **A ConfigMap volume is read as one generation**: `..data` is resolved once per directory and scan, and the
///   visible links that point through it are read from that target, so a swap mid-scan never mixes old and new.
///
/// A file is re-read when its modification time, size or resolved path moved, or when it was modified within the
/// last two seconds (coarse timestamps can hide a quick second edit); its content hash then skips rewrites that
/// changed nothing. Thread-safe: the record of what was seen sits behind a lock.
final class DirectoryScanner: Sendable {
    /// What one scan found for one file.
    enum Change: Sendable, Equatable {
        case changed(path: String, text: String)
        case unreadable(path: String, reason: String)
        case removed(path: String)
    }

    /// The result of one scan.
    struct Outcome: Sendable {
        var changes: [Change] = []
        /// Calls that failed; what they could not read keeps its last state.
        var failures: [FileSystemError] = []
        /// When a scan is due even if nothing wakes one: a pending removal's quiet period ends, or a failure retries.
        var nextCheck: ContinuousClock.Instant?
    }

    /// What was seen of a file last time.
    struct Seen: Sendable {
        var modifiedNanoseconds: Int64
        var size: Int64
        /// The path actually read (through `..data` for a ConfigMap link).
        var readFrom: String
        var contentHash: [UInt8]?
        /// Set while the file is missing and its quiet period runs.
        var missingSince: ContinuousClock.Instant?
    }

    /// The whole scan failed; nothing was changed.
    struct ScanError: Error, CustomStringConvertible {
        var description: String
        var failure: FileSystemError?
    }

    let directory: String
    let fileSystem: any ScanFileSystem
    let quietPeriod: Duration
    /// How soon a scan that hit an error tries again.
    let retryDelay: Duration
    private let seen = Mutex<[String: Seen]>([:])

    init(
        directory: String, fileSystem: any ScanFileSystem = POSIXFileSystem(), quietPeriod: Duration = .seconds(1),
        retryDelay: Duration = .seconds(1)
    ) {
        self.directory = directory
        self.fileSystem = fileSystem
        self.quietPeriod = quietPeriod
        self.retryDelay = retryDelay
    }

    func scan(at now: ContinuousClock.Instant = .now) throws(ScanError) -> Outcome {
        let root: FileStatus
        do throws(FileSystemError) {
            root = try fileSystem.status(of: directory)
        } catch {
            let reason = error.isAbsence ? "\(directory) does not exist" : "\(error)"
            throw ScanError(description: reason, failure: error.isAbsence ? nil : error)
        }
        guard root.isDirectory else { throw ScanError(description: "\(directory) is not a directory") }
        var listing = Listing()
        do throws(FileSystemError) {
            try list(directory, readingFrom: directory, into: &listing)
        } catch {
            throw ScanError(description: "cannot list \(directory): \(error)", failure: error)
        }
        return seen.withLock { seen in
            var outcome = Outcome(failures: listing.failures)
            var absent: Set<String> = []
            for (path, readFrom) in listing.files.sorted(by: { $0.key < $1.key }) {
                switch check(path, readingFrom: readFrom, seen: &seen) {
                case .unchanged: break
                case .change(let change): outcome.changes.append(change)
                case .absent: absent.insert(path)
                case .failed(let failure):
                    // Through `..data`, an absence means the generation was swapped mid-scan: look again at once.
                    if failure.isAbsence { listing.swapped = true } else { outcome.failures.append(failure) }
                    listing.kept.insert(path)
                }
            }
            for path in seen.keys.sorted() where listing.files[path] == nil || absent.contains(path) {
                guard !listing.kept.contains(path), !listing.isUnknown(path) else { continue }
                let since = seen[path]?.missingSince ?? now
                if now - since >= quietPeriod {
                    seen[path] = nil
                    outcome.changes.append(.removed(path: path))
                } else {
                    seen[path]?.missingSince = since
                    outcome.schedule(since + quietPeriod)
                }
            }
            if !outcome.failures.isEmpty || listing.swapped {
                outcome.schedule(now + (listing.swapped ? .zero : retryDelay))
            }
            return outcome
        }
    }

    /// Makes the next scan read `path` and report it even if its content did not change.
    func reread(_ path: String) {
        seen.withLock { seen in seen[path]?.contentHash = nil }
    }

    private enum Check {
        case unchanged
        case change(Change)
        case absent
        case failed(FileSystemError)
    }

    private func check(_ path: String, readingFrom readFrom: String, seen: inout [String: Seen]) -> Check {
        let throughData = readFrom != path
        let status: FileStatus
        do throws(FileSystemError) {
            status = try fileSystem.status(of: readFrom)
        } catch {
            // Gone between listing and stat is an absence; through `..data` it is a swap in progress, not one.
            return error.isAbsence && !throughData ? .absent : .failed(error)
        }
        if status.isDirectory { return .unchanged }
        let previous = seen[path]
        seen[path]?.missingSince = nil
        let recent = Date().timeIntervalSince1970 * 1e9 - Double(status.modifiedNanoseconds) < 2e9
        if let previous, previous.modifiedNanoseconds == status.modifiedNanoseconds, previous.size == status.size,
            previous.readFrom == readFrom, previous.contentHash != nil, !recent
        {
            return .unchanged
        }
        let data: Data
        do throws(FileSystemError) {
            data = try fileSystem.contents(of: readFrom)
        } catch {
            if error.isAbsence && !throughData { return .absent }
            if error.code == EACCES || error.code == EISDIR {
                // Lasting and the operator's to fix: say so as a diagnostic; the file's last good objects stay.
                seen[path] = Seen(
                    modifiedNanoseconds: status.modifiedNanoseconds, size: status.size, readFrom: readFrom,
                    contentHash: nil)
                return .change(.unreadable(path: path, reason: "\(error)"))
            }
            return .failed(error)
        }
        let hash = Self.digest(data)
        seen[path] = Seen(
            modifiedNanoseconds: status.modifiedNanoseconds, size: status.size, readFrom: readFrom, contentHash: hash)
        if previous?.contentHash == hash { return .unchanged }
        switch UTF8Text.decode([UInt8](data)) {
        case .success(let text): return .change(.changed(path: path, text: text))
        case .failure(let invalid): return .change(.unreadable(path: path, reason: invalid.description))
        }
    }

    /// FNV-1a 64 of the bytes, twice with different seeds, to tell content apart without keeping it.
    static func digest(_ data: Data) -> [UInt8] {
        var first = FNV1a64()
        first.add(bytes: data)
        var second = FNV1a64(seed: 0x8422_2325_cbf2_9ce4)
        second.add(bytes: data.lazy.map { $0 ^ 0x5a })
        return withUnsafeBytes(of: (first.value, second.value)) { Array($0) }
            + withUnsafeBytes(of: data.count) { Array($0) }
    }
}

extension DirectoryScanner.Outcome {
    /// Keeps the earliest time a scan is due.
    mutating func schedule(_ instant: ContinuousClock.Instant) {
        nextCheck = min(nextCheck ?? instant, instant)
    }
}
