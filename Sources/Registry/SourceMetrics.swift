public import CoreMetrics

/// The sources' figures. Thread-safe.
///
/// - `meshd_config_source_errors_total{source, operation}`: failed reads of a source (`file`: `opendir`, `readdir`,
///   `stat`, `open`, `read`, `readlink`, `scan`; `kubernetes`: `list`, `watch`). Each one kept the last good state.
/// - `meshd_config_files_pending`: files read and not yet decoded and applied (the decode backlog).
/// - `meshd_config_oldest_pending_seconds`: how long the oldest of them has waited (0 when none).
/// - `meshd_config_removals_held`: files or objects gone from a file source and held through its quiet period.
public final class SourceMetrics: Sendable {
    private let factory: any MetricsFactory
    private let pending: Gauge
    private let oldest: Gauge
    private let held: Gauge

    public init(factory: any MetricsFactory) {
        self.factory = factory
        pending = Gauge(label: "meshd_config_files_pending", factory: factory)
        oldest = Gauge(label: "meshd_config_oldest_pending_seconds", factory: factory)
        held = Gauge(label: "meshd_config_removals_held", factory: factory)
        pending.record(0)
        oldest.record(0)
        held.record(0)
    }

    func failed(source: String, operation: String) {
        Counter(
            label: "meshd_config_source_errors_total", dimensions: [("source", source), ("operation", operation)],
            factory: factory
        ).increment()
    }

    func backlog(_ backlog: ConfigBacklog) {
        pending.record(backlog.files)
        oldest.record(
            Double(backlog.oldestAge.components.seconds) + Double(backlog.oldestAge.components.attoseconds) / 1e18)
    }

    func removalsHeld(_ count: Int) {
        held.record(count)
    }
}

/// Changes a source has read and not yet applied: how many files, and how long the oldest has waited.
public struct ConfigBacklog: Sendable, Equatable {
    public var files: Int
    public var oldestAge: Duration
    public var oldestFile: String?

    public init(files: Int = 0, oldestAge: Duration = .zero, oldestFile: String? = nil) {
        self.files = files
        self.oldestAge = oldestAge
        self.oldestFile = oldestFile
    }

    public var isEmpty: Bool { files == 0 }
}
