import Foundation
public import Logging
import MeshModel
public import ServiceLifecycle

/// Watches a directory tree of `*.yaml` / `*.yml` files and feeds every change into a `ConfigStore`.
///
/// Polls rather than using inotify so it behaves the same on every platform and on mounted volumes. Hidden files
/// and directories (such as a ConfigMap mount's `..data`) are skipped, so each file is read once. Safe to share:
/// the record of what was seen sits behind a lock.
public struct FileSource: Service {
    public let directory: String
    public let store: ConfigStore
    public let pollInterval: Duration
    let logger: Logger
    let scanner: DirectoryScanner

    public init(directory: String, store: ConfigStore, pollInterval: Duration = .milliseconds(200), logger: Logger) {
        self.directory = directory
        self.store = store
        self.pollInterval = pollInterval
        self.logger = logger
        self.scanner = DirectoryScanner(directory: directory)
    }

    /// Reads every file once and applies it. Throws if the directory does not exist or cannot be listed.
    public func loadOnce() throws {
        try poll()
    }

    /// Polls until cancelled or until graceful shutdown. A directory that vanishes is logged, not fatal: the last
    /// good configuration stays in force until it comes back.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastFailure: String?
            while !Task.isCancelled {
                do {
                    try poll()
                    lastFailure = nil
                } catch {
                    let message = "\(error)"
                    if message != lastFailure { logger.error("cannot scan \(directory): \(message)") }
                    lastFailure = message
                }
                try? await Task.sleep(for: pollInterval)
            }
        }
    }

    /// One scan: decodes every changed file, then applies them and the deletions as one batch, so the initial
    /// directory and a burst of edits between two polls each cost one snapshot build, not one per file.
    func poll() throws {
        let changes = try scanner.scan()
        guard !changes.isEmpty else { return }
        var batch: [(file: String, result: DecodeResult)] = []
        var removed: [String] = []
        for change in changes {
            switch change {
            case .changed(let path, let text):
                logger.debug("loading \(path)")
                batch.append((path, ConfigDecoder.decode(yaml: text, file: path)))
            case .unreadable(let path, let reason):
                let diagnostic = ConfigDiagnostic(
                    file: path, document: 1, fieldPath: "", reason: "cannot read file: \(reason)", severity: .error)
                batch.append((path, DecodeResult(errors: [diagnostic])))
            case .removed(let path):
                logger.info("\(path) was removed")
                removed.append(path)
            }
        }
        store.apply(batch: batch, removing: removed)
    }
}
