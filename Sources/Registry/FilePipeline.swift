import Dispatch
import Logging
import MeshModel
import Synchronization

/// Turns a scan's changes into store updates without letting one slow file hold up the others.
///
/// Each changed file is decoded on one of `laneCount` serial dispatch queues, the least busy one (not on Swift's
/// cooperative pool, which a 75-second decode would starve). Serial queues get threads of their own when busy, so a
/// slow file holds up only the files queued behind it on its lane, and a new file picks an idle lane. A scan's files and removals are applied as one batch once all of them are decoded, or
/// once the batch has waited `slowDecodeAfter`: then the files done so far are applied, and each straggler is applied
/// on its own when it finishes, unless a newer read or a removal of the same file superseded it.
///
/// It also holds removals *inside* a file: a decode that no longer declares objects the file declared before (the
/// file was read empty or half-written, mid-`git checkout`) keeps those objects for `quietPeriod` and has the file
/// read again; only if they are still missing then are they removed.
///
/// Thread-safe: the state and every store update sit behind one lock, so results are applied in the order their
/// files were read.
final class FilePipeline: Sendable {
    typealias Decode = @Sendable (_ yaml: String, _ file: String) -> DecodeResult

    private struct Batch {
        var waiting: Set<UInt64> = []
        var decoded: [String: DecodeResult] = [:]
        var removals: [String] = []
    }

    private struct State {
        var nextJob: UInt64 = 0
        /// The newest read of each file; a decode of an older one is stale. A removal clears the entry.
        var latest: [String: UInt64] = [:]
        /// Decodes not yet applied: file and when it was read.
        var pending: [UInt64: (file: String, since: ContinuousClock.Instant)] = [:]
        var batch: Batch?
        /// Files whose missing objects are being held, since when.
        var holds: [String: ContinuousClock.Instant] = [:]
        /// Decodes queued or running per lane.
        var laneLoad: [Int] = []
        var stopped = false
    }

    /// How many files can decode at once; more slow files than this hold up the files queued behind them.
    static let laneCount = 8

    let store: ConfigStore
    let scanner: DirectoryScanner
    let decode: Decode
    let quietPeriod: Duration
    let metrics: SourceMetrics?
    let logger: Logger
    private let lanes = (0..<FilePipeline.laneCount).map { DispatchQueue(label: "meshd.file-decode.\($0)") }
    private let state: Mutex<State> = {
        var initial = State()
        initial.laneLoad = Array(repeating: 0, count: FilePipeline.laneCount)
        return Mutex(initial)
    }()

    init(
        store: ConfigStore, scanner: DirectoryScanner, decode: @escaping Decode, quietPeriod: Duration,
        metrics: SourceMetrics?, logger: Logger
    ) {
        self.store = store
        self.scanner = scanner
        self.decode = decode
        self.quietPeriod = quietPeriod
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts a batch for one scan's changes. `inline` decodes here and now (the first load, `meshd validate`).
    func begin(_ changes: [DirectoryScanner.Change], at now: ContinuousClock.Instant, inline: Bool = false) {
        var jobs: [(id: UInt64, file: String, text: String, lane: Int)] = []
        state.withLock { state in
            var batch = Batch()
            for change in changes {
                switch change {
                case .changed(let path, let text):
                    state.nextJob += 1
                    state.latest[path] = state.nextJob
                    state.pending[state.nextJob] = (path, now)
                    batch.waiting.insert(state.nextJob)
                    let lane = state.laneLoad.indices.min { state.laneLoad[$0] < state.laneLoad[$1] } ?? 0
                    state.laneLoad[lane] += 1
                    jobs.append((state.nextJob, path, text, lane))
                case .unreadable(let path, let reason):
                    state.latest[path] = nil
                    let diagnostic = ConfigDiagnostic(
                        file: path, document: 1, fieldPath: "", reason: "cannot read file: \(reason)", severity: .error)
                    batch.decoded[path] = DecodeResult(errors: [diagnostic])
                case .removed(let path):
                    logger.info("\(path) was removed")
                    state.latest[path] = nil
                    batch.removals.append(path)
                }
            }
            state.batch = batch
        }
        for job in jobs {
            logger.debug("loading \(job.file)")
            if inline {
                finished(job.id, job.file, decode(job.text, job.file), lane: job.lane, at: now)
            } else {
                let decode = decode
                lanes[job.lane].async {
                    self.finished(job.id, job.file, decode(job.text, job.file), lane: job.lane, at: .now)
                }
            }
        }
        reportBacklog(at: now)
    }

    /// Whether every decode of the open batch is done.
    var batchIsDecoded: Bool {
        state.withLock { $0.batch?.waiting.isEmpty ?? true }
    }

    /// Applies the open batch: its decoded files and removals, in one store update. Decodes still running are
    /// applied when they finish. Returns when a held removal is due to be checked again.
    @discardableResult
    func commit(at now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let due = state.withLock { state -> ContinuousClock.Instant? in
            guard let batch = state.batch else { return nil }
            state.batch = nil
            if !batch.waiting.isEmpty {
                let slow = batch.waiting.compactMap { state.pending[$0]?.file }.sorted()
                logger.warning("still decoding \(slow.joined(separator: ", ")); applying the other changes now")
            }
            return apply(batch.decoded, removing: batch.removals, at: now, state: &state)
        }
        reportBacklog(at: now)
        return due
    }

    /// Stops applying: decodes that finish after this are dropped.
    func stop() {
        state.withLock { $0.stopped = true }
    }

    /// What has been read and not yet applied.
    func backlog(at now: ContinuousClock.Instant = .now) -> ConfigBacklog {
        state.withLock { state in
            guard let oldest = state.pending.values.min(by: { $0.since < $1.since }) else { return ConfigBacklog() }
            return ConfigBacklog(files: state.pending.count, oldestAge: now - oldest.since, oldestFile: oldest.file)
        }
    }

    /// A decode is done: it joins the open batch, or, when its batch was already applied, is applied alone.
    private func finished(
        _ job: UInt64, _ file: String, _ result: DecodeResult, lane: Int, at now: ContinuousClock.Instant
    ) {
        state.withLock { state in
            state.laneLoad[lane] -= 1
            state.pending[job] = nil
            if state.batch?.waiting.remove(job) != nil {
                state.batch?.decoded[file] = result
                return
            }
            guard !state.stopped, state.latest[file] == job else { return }
            logger.info("\(file) decoded after its batch was applied; applying it now")
            _ = apply([file: result], removing: [], at: now, state: &state)
        }
        reportBacklog(at: .now)
    }

    /// One store update, with the quiet-period hold on objects that vanished from a file. Called under the lock.
    private func apply(
        _ decoded: [String: DecodeResult], removing: [String], at now: ContinuousClock.Instant, state: inout State
    ) -> ContinuousClock.Instant? {
        guard !state.stopped, !decoded.isEmpty || !removing.isEmpty else { return nil }
        var due: ContinuousClock.Instant?
        var batch: [(file: String, result: DecodeResult, keeping: Set<ResourceKey>)] = []
        for (file, result) in decoded.sorted(by: { $0.key < $1.key }) {
            var missing: Set<ResourceKey> = []
            if !result.hasUnattributedErrors {
                let declared = Set(result.objects.map(\.key)).union(result.refusedKeys)
                missing = store.declaredKeys(in: file).subtracting(declared)
            }
            if missing.isEmpty {
                state.holds[file] = nil
            } else if let since = state.holds[file], now - since >= quietPeriod {
                state.holds[file] = nil
                missing = []
            } else {
                let since = state.holds[file] ?? now
                state.holds[file] = since
                scanner.reread(file)
                due = min(due ?? since + quietPeriod, since + quietPeriod)
                logger.info("\(file) no longer declares \(missing.count) object(s); holding them for \(quietPeriod)")
            }
            batch.append((file, result, missing))
        }
        for file in removing { state.holds[file] = nil }
        store.apply(batch: batch, removing: removing)
        metrics?.removalsHeld(state.holds.count)
        return due
    }

    private func reportBacklog(at now: ContinuousClock.Instant) {
        metrics?.backlog(backlog(at: now))
    }
}
