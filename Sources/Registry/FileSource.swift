import Foundation
public import Logging
import MeshModel
public import ServiceLifecycle
import Synchronization

/// Watches a directory tree of `*.yaml` / `*.yml` files and feeds every change into a `ConfigStore`.
///
/// On Linux, inotify (`DirectoryWatcher`) starts a scan as soon as the tree has been quiet for `Options.settle`
/// after a burst of writes, so a `git pull` or `git checkout` is read as one transaction; a poll every
/// `pollInterval` remains the fallback for what inotify misses (mounted volumes, lost events, other platforms).
/// What a scan finds is decoded off the scan path (`FilePipeline`) and applied as one batch.
///
/// Failures never remove anything: a scan or read that fails keeps the last good state, is logged and counted
/// (`SourceMetrics`), and is retried. A vanished file, or objects gone from a file, are removed only once they have
/// stayed gone for `Options.quietPeriod`. Hidden files and directories are skipped, and a ConfigMap mount's `..data`
/// is resolved once per scan, so each file is read once and from one generation. Thread-safe.
public struct FileSource: Service {
    /// Tuning; the defaults suit an operator's directory, tests shorten the waits.
    public struct Options: Sendable {
        /// The fallback poll.
        public var pollInterval: Duration = .milliseconds(200)
        /// How long a file (or an object in a file) must stay gone before it is removed.
        public var quietPeriod: Duration = .seconds(1)
        /// How long the tree must be free of inotify events before a scan starts (bounded by `quietPeriod`).
        public var settle: Duration = .milliseconds(50)
        /// How long a scan's batch waits for its slowest decode before the others are applied without it.
        public var slowDecodeAfter: Duration = .milliseconds(500)
        /// How soon a failed scan or read is retried.
        public var retryDelay: Duration = .seconds(1)

        public init() {}
    }

    public let directory: String
    public let store: ConfigStore
    public let options: Options
    public var pollInterval: Duration { options.pollInterval }
    let logger: Logger
    let scanner: DirectoryScanner
    let pipeline: FilePipeline
    let metrics: SourceMetrics?
    let failureLog: FailureLog

    public init(directory: String, store: ConfigStore, pollInterval: Duration = .milliseconds(200), logger: Logger) {
        var options = Options()
        options.pollInterval = pollInterval
        self.init(directory: directory, store: store, options: options, metrics: nil, logger: logger)
    }

    public init(directory: String, store: ConfigStore, options: Options, metrics: SourceMetrics?, logger: Logger) {
        self.init(
            directory: directory, store: store, options: options, metrics: metrics, logger: logger,
            fileSystem: POSIXFileSystem(), decode: { ConfigDecoder.decode(yaml: $0, file: $1) })
    }

    /// With the file-system and decoder seams that tests use to inject failures and slow decodes.
    init(
        directory: String, store: ConfigStore, options: Options, metrics: SourceMetrics?, logger: Logger,
        fileSystem: any ScanFileSystem, decode: @escaping FilePipeline.Decode
    ) {
        self.directory = directory
        self.store = store
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.failureLog = FailureLog(logger: logger)
        self.scanner = DirectoryScanner(
            directory: directory, fileSystem: fileSystem, quietPeriod: options.quietPeriod,
            retryDelay: options.retryDelay)
        self.pipeline = FilePipeline(
            store: store, scanner: scanner, decode: decode, quietPeriod: options.quietPeriod, metrics: metrics,
            logger: logger)
    }

    /// Reads every file once, decodes it here, and applies it. Throws if the directory does not exist or cannot be
    /// listed.
    public func loadOnce() throws {
        let now = ContinuousClock.now
        let outcome = try scanner.scan(at: now)
        report(outcome.failures)
        pipeline.begin(outcome.changes, at: now, inline: true)
        pipeline.commit(at: now)
    }

    /// Files read and not yet applied; readiness and `meshd_config_oldest_pending_seconds` report it.
    public func backlog() -> ConfigBacklog {
        pipeline.backlog()
    }

    /// Scans now, then whenever the watcher reports a change, a held removal or a retry is due, or `pollInterval`
    /// has passed since the last scan, until cancelled or until graceful shutdown. A directory that vanishes or
    /// cannot be listed is logged, not fatal: the last good configuration stays in force until it can be read.
    /// Returns once the watcher thread has stopped; decodes still running are then dropped.
    public func run() async throws {
        defer { pipeline.stop() }
        await cancelWhenGracefulShutdown {
            // A newest-only buffer: wake-ups that arrive during a scan collapse into one more scan.
            let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let lastEvent = LastEvent()
            let onChange: @Sendable () -> Void = {
                lastEvent.record()
                wake.yield()
            }
            let metrics = metrics
            let onFailure: @Sendable (String) -> Void = { metrics?.failed(source: "file", operation: $0) }
            await DirectoryWatcher.watching(directory, logger: logger, onChange: onChange, onFailure: onFailure) {
                await scan(onEach: wakeUps, wake: wake, settlingAfter: lastEvent)
            }
        }
    }

    /// Scans once now and once per wake-up until the task is cancelled, logging each distinct failure once. After
    /// each scan a timer wakes the next one at the time that scan asked for (the poll, a held removal, a retry);
    /// a timer overtaken by a later scan does nothing when it fires.
    private func scan(
        onEach wakeUps: AsyncStream<Void>, wake: AsyncStream<Void>.Continuation, settlingAfter lastEvent: LastEvent
    ) async {
        let timerGeneration = TimerGeneration()
        await withDiscardingTaskGroup { timers in
            var lastFailure: String?
            var iterator = wakeUps.makeAsyncIterator()
            while !Task.isCancelled {
                var due = ContinuousClock.now + options.pollInterval
                do {
                    if let next = try await scanOnce() { due = min(due, next) }
                    lastFailure = nil
                } catch {
                    let message = "\(error)"
                    if message != lastFailure {
                        logger.error("cannot scan \(directory): \(message); keeping the last good configuration")
                    }
                    lastFailure = message
                    metrics?.failed(
                        source: "file", operation: (error as? DirectoryScanner.ScanError)?.failure?.operation ?? "scan")
                    due = min(due, .now + options.retryDelay)
                }
                let generation = timerGeneration.next()
                timers.addTask {
                    guard (try? await Task.sleep(until: due, clock: .continuous)) != nil else { return }
                    if timerGeneration.isCurrent(generation) { wake.yield() }
                }
                guard await iterator.next() != nil else { break }
                await settle(after: lastEvent)
            }
            timers.cancelAll()
        }
    }

    /// Waits until no inotify event has arrived for `settle`, for at most `quietPeriod`: a writer mid-burst (git
    /// rewriting a hundred files) is read once it is done, in one batch.
    private func settle(after lastEvent: LastEvent) async {
        let start = ContinuousClock.now
        while let last = lastEvent.instant {
            let quietAt = last + options.settle
            let now = ContinuousClock.now
            guard quietAt > now, now - start < options.quietPeriod else { return }
            do { try await Task.sleep(until: min(quietAt, start + options.quietPeriod), clock: .continuous) } catch {
                return
            }
        }
    }

    /// One scan: hands the changes to the pipeline, waits (bounded) for their decodes, applies them as one batch.
    /// Returns when the next scan is due regardless of wake-ups.
    func scanOnce() async throws -> ContinuousClock.Instant? {
        let now = ContinuousClock.now
        let outcome = try scanner.scan(at: now)
        report(outcome.failures)
        guard !outcome.changes.isEmpty else { return outcome.nextCheck }
        pipeline.begin(outcome.changes, at: now)
        let deadline = now + options.slowDecodeAfter
        while !pipeline.batchIsDecoded, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(2)) } catch { break }
        }
        let held = pipeline.commit(at: .now)
        return [outcome.nextCheck, held].compactMap { $0 }.min()
    }

    /// Logs and counts the calls a scan could not make; what they could not read kept its last state.
    private func report(_ failures: [FileSystemError]) {
        for failure in failures { metrics?.failed(source: "file", operation: failure.operation) }
        for failure in failureLog.appeared(failures) {
            logger.warning("\(failure); keeping the last good state of what it could not read, and retrying")
        }
    }
}

/// Which scan's timer is the current one; older timers fire into nothing. Thread-safe.
final class TimerGeneration: Sendable {
    private let value = Atomic<UInt64>(0)

    func next() -> UInt64 { value.add(1, ordering: .relaxed).newValue }

    func isCurrent(_ generation: UInt64) -> Bool { value.load(ordering: .relaxed) == generation }
}

/// When the watcher last reported an event. Thread-safe.
final class LastEvent: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    var instant: ContinuousClock.Instant? { last.withLock { $0 } }

    func record() { last.withLock { $0 = .now } }
}

/// The read failures of the previous scan, so that a failure that persists (EMFILE for a minute) is logged once,
/// and its recovery once. Thread-safe.
final class FailureLog: Sendable {
    private let current = Mutex<Set<String>>([])
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// The failures not in the previous scan's set; the set becomes `failures`.
    func appeared(_ failures: [FileSystemError]) -> [FileSystemError] {
        let descriptions = Set(failures.map(\.description))
        let (fresh, recovered) = current.withLock { current -> ([FileSystemError], Bool) in
            defer { current = descriptions }
            return (failures.filter { !current.contains($0.description) }, !current.isEmpty && descriptions.isEmpty)
        }
        if recovered { logger.notice("file reads recovered") }
        return fresh
    }
}
