/// Walking the tree: which YAML files exist now, where each is read from, and what could not be listed.
extension DirectoryScanner {
    struct Listing {
        /// Visible path → the path to read (the same, or resolved through `..data`).
        var files: [String: String] = [:]
        /// Directories (with a trailing `/`) that could not be listed: every file seen below one is kept.
        var unknownPrefixes: [String] = []
        /// Files whose state could not be learnt this scan: kept as they were.
        var kept: Set<String> = []
        var failures: [FileSystemError] = []
        /// A ConfigMap generation vanished while being read: scan again at once.
        var swapped = false

        func isUnknown(_ path: String) -> Bool {
            unknownPrefixes.contains { path.hasPrefix($0) }
        }
    }

    /// Lists `visible` (read at `real`) and its non-hidden subdirectories. Throws only for the configured directory
    /// itself; below it a failure is recorded and the subtree is kept as it was. Symbolic links to directories are
    /// not followed (the watcher does not follow them either).
    func list(_ visible: String, readingFrom real: String, into listing: inout Listing) throws(FileSystemError) {
        let entries: [DirectoryEntry]
        do throws(FileSystemError) {
            entries = try fileSystem.entries(of: real)
        } catch {
            if visible == directory { throw error }
            // A subdirectory deleted since its parent was listed is confirmed gone; anything else is unknown.
            if !error.isAbsence {
                listing.failures.append(error)
                listing.unknownPrefixes.append(visible + "/")
            }
            return
        }
        var dataDirectory: String?
        if entries.contains(DirectoryEntry(name: "..data", kind: .symbolicLink)) {
            // Resolved once: every link through `..data` in this directory is read from the same generation.
            do throws(FileSystemError) {
                let target = try fileSystem.linkTarget(of: real + "/..data")
                dataDirectory = target.hasPrefix("/") ? target : real + "/" + target
            } catch {
                listing.failures.append(error)
                listing.unknownPrefixes.append(visible + "/")
                return
            }
        }
        for entry in entries where !entry.name.hasPrefix(".") {
            let visiblePath = visible + "/" + entry.name
            let realPath = real + "/" + entry.name
            switch entry.kind {
            case .directory:
                try list(visiblePath, readingFrom: realPath, into: &listing)
            case .file where Self.isYAML(entry.name):
                listing.files[visiblePath] = realPath
            case .symbolicLink where Self.isYAML(entry.name):
                guard let dataDirectory else {
                    listing.files[visiblePath] = realPath
                    continue
                }
                do throws(FileSystemError) {
                    let target = try fileSystem.linkTarget(of: realPath)
                    if target.hasPrefix("..data/") {
                        listing.files[visiblePath] = dataDirectory + "/" + target.dropFirst("..data/".count)
                    } else {
                        listing.files[visiblePath] = realPath
                    }
                } catch {
                    if error.isAbsence { continue }
                    listing.failures.append(error)
                    listing.kept.insert(visiblePath)
                }
            default:
                continue
            }
        }
    }

    static func isYAML(_ name: String) -> Bool {
        name.hasSuffix(".yaml") || name.hasSuffix(".yml")
    }
}
