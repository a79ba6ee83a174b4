import Foundation
public import Logging
import MeshModel
public import ServiceLifecycle

/// Watches a directory tree of `*.yaml` / `*.yml` files and feeds every change into a `ConfigStore`.
///
/// On Linux, inotify (`DirectoryWatcher`) starts a scan as soon as a file is written, moved or removed; a poll every
/// `pollInterval` remains the fallback for what inotify misses (mounted volumes, lost events, other platforms).
/// Events that arrive during a scan collapse into one more scan, which rereads only files whose modification time
/// or size moved, and applies them as one batch. Hidden files and directories (such as a ConfigMap mount's `..data`)
/// are skipped, so each file is read once. Safe to share: the record of what was seen sits behind a lock.
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

    /// Scans now, then whenever the watcher reports a change or `pollInterval` has passed since the last scan, until
    /// cancelled or until graceful shutdown. A directory that vanishes is logged, not fatal: the last good
    /// configuration stays in force until it comes back. Returns once the watcher thread has stopped.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // Newest-only buffers: wake-ups that arrive during a scan collapse into one more scan.
            let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let (scansDone, scanDone) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            await DirectoryWatcher.watching(directory, logger: logger, onChange: { wake.yield() }) {
                await withDiscardingTaskGroup { group in
                    // The poll: `pollInterval` after each scan, as if nothing had woken it sooner.
                    group.addTask {
                        for await _ in scansDone {
                            try? await Task.sleep(for: pollInterval)
                            wake.yield()
                        }
                    }
                    await scan(onEach: wakeUps, reportingTo: scanDone)
                    scanDone.finish()
                }
            }
        }
    }

    /// Scans once now and once per wake-up until the task is cancelled, logging each distinct failure once.
    private func scan(onEach wakeUps: AsyncStream<Void>, reportingTo scanDone: AsyncStream<Void>.Continuation) async {
        var lastFailure: String?
        var iterator = wakeUps.makeAsyncIterator()
        while !Task.isCancelled {
            do {
                try poll()
                lastFailure = nil
            } catch {
                let message = "\(error)"
                if message != lastFailure { logger.error("cannot scan \(directory): \(message)") }
                lastFailure = message
            }
            scanDone.yield()
            guard await iterator.next() != nil else { return }
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
