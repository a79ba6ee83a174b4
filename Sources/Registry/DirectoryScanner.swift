import Foundation
import Synchronization

/// Finds which YAML files under a directory changed since the last scan.
///
/// A file is re-read when its modification time or size moved, or when it was modified within the last two
/// seconds (coarse timestamps can hide a quick second edit); its content hash then skips touches that changed
/// nothing. Thread-safe.
final class DirectoryScanner: Sendable {
    /// What one scan found for one file.
    enum Change: Sendable, Equatable {
        case changed(path: String, text: String)
        case unreadable(path: String, reason: String)
        case removed(path: String)
    }

    /// What was seen of a file last time.
    struct Seen: Sendable {
        var modified: Date
        var size: Int
        var contentHash: [UInt8]?
    }

    struct ScanError: Error, CustomStringConvertible {
        var description: String
    }

    let directory: String
    private let seen = Mutex<[String: Seen]>([:])

    init(directory: String) {
        self.directory = directory
    }

    func scan() throws -> [Change] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ScanError(description: "\(directory) does not exist or is not a directory")
        }
        let paths = yamlFiles()
        return seen.withLock { seen in
            var changes: [Change] = []
            for path in paths {
                if let change = check(path, seen: &seen) { changes.append(change) }
            }
            for path in seen.keys.sorted() where !paths.contains(path) {
                seen[path] = nil
                changes.append(.removed(path: path))
            }
            return changes
        }
    }

    /// Every `*.yaml` / `*.yml` below the directory, sorted, skipping hidden entries.
    private func yamlFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var result: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let components = relative.split(separator: "/")
            if components.contains(where: { $0.hasPrefix(".") }) { continue }
            guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
            result.append((directory as NSString).appendingPathComponent(relative))
        }
        return result.sorted()
    }

    private func check(_ path: String, seen: inout [String: Seen]) -> Change? {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: (path as NSString).resolvingSymlinksInPath)
        } catch {
            // Deleted between listing and reading.
            guard seen.removeValue(forKey: path) != nil else { return nil }
            return .removed(path: path)
        }
        if (attributes[.type] as? FileAttributeType) == .typeDirectory { return nil }
        let modified = attributes[.modificationDate] as? Date ?? .distantPast
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        let previous = seen[path]
        if let previous, previous.modified == modified, previous.size == size,
            Date().timeIntervalSince(modified) > 2
        {
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            seen[path] = Seen(modified: modified, size: size, contentHash: nil)
            return .unreadable(path: path, reason: "permission denied or not a regular file")
        }
        let hash = Self.digest(data)
        defer { seen[path] = Seen(modified: modified, size: size, contentHash: hash) }
        if let previous, previous.contentHash == hash { return nil }
        guard let text = String(data: data, encoding: .utf8) else {
            return .unreadable(path: path, reason: "not UTF-8 text")
        }
        return .changed(path: path, text: text)
    }

    /// FNV-1a 64 of the bytes, twice with different seeds, to tell content apart without keeping it.
    static func digest(_ data: Data) -> [UInt8] {
        var first: UInt64 = 0xcbf2_9ce4_8422_2325
        var second: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in data {
            first = (first ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            second = (second ^ UInt64(byte ^ 0x5a)) &* 0x0000_0100_0000_01b3
        }
        return withUnsafeBytes(of: (first, second)) { Array($0) } + withUnsafeBytes(of: data.count) { Array($0) }
    }
}
