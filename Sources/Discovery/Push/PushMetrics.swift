public import CoreMetrics
import XDSServer

/// The push engine's figures: the generation cache and the debounced pushes. Thread-safe.
///
/// - `meshd_xds_cache_entries`: generated sets held (per type and distinct proxy view);
/// - `meshd_xds_cache_hits_total` / `meshd_xds_cache_misses_total`: lookups served from the cache / generated;
/// - `meshd_xds_generations_total{type}` / `meshd_xds_generation_seconds_total{type}`: the sets generated (cache
///   misses) of each type and the wall-clock time spent generating them: which type's distinct views cost what;
/// - `meshd_pushes_total{path="eds"|"full"|"partial"}`: pushes after debouncing, by what they re-generate: EDS
///   alone, every config type (CDS, EDS, LDS, RDS), or some of them (e.g. LDS alone after an AuthorizationPolicy edit);
/// - `meshd_push_changes_merged_total`: changes folded into those pushes;
/// - `meshd_xds_resource_encoding_failures_total{type}`: generated resources left out because they failed to encode.
public final class PushMetrics: Sendable {
    private let entries: Gauge
    private let hits: Counter
    private let misses: Counter
    private let edsPushes: Counter
    private let fullPushes: Counter
    private let partialPushes: Counter
    private let merged: Counter
    private let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        entries = Gauge(label: "meshd_xds_cache_entries", factory: factory)
        hits = Counter(label: "meshd_xds_cache_hits_total", factory: factory)
        misses = Counter(label: "meshd_xds_cache_misses_total", factory: factory)
        edsPushes = Counter(label: "meshd_pushes_total", dimensions: [("path", "eds")], factory: factory)
        fullPushes = Counter(label: "meshd_pushes_total", dimensions: [("path", "full")], factory: factory)
        partialPushes = Counter(label: "meshd_pushes_total", dimensions: [("path", "partial")], factory: factory)
        merged = Counter(label: "meshd_push_changes_merged_total", factory: factory)
        self.factory = factory
        entries.record(0)
    }

    func generated(_ type: XDSType, in duration: Duration) {
        let label = type.shortName
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        Counter(label: "meshd_xds_generations_total", dimensions: [("type", label)], factory: factory).increment()
        FloatingPointCounter(
            label: "meshd_xds_generation_seconds_total", dimensions: [("type", label)], factory: factory
        ).increment(by: seconds)
    }

    func cacheHit() { hits.increment() }
    func cacheMiss() { misses.increment() }
    func cacheEntries(_ count: Int) { entries.record(count) }

    /// The path label of a push that re-generates `types`.
    static func path(of types: Set<XDSType>) -> String {
        if types == [.endpoint] { return "eds" }
        return types.isSuperset(of: [.cluster, .endpoint, .listener, .route]) ? "full" : "partial"
    }

    func pushed(path: String, changes: Int) {
        switch path {
        case "eds": edsPushes.increment()
        case "full": fullPushes.increment()
        default: partialPushes.increment()
        }
        merged.increment(by: changes)
    }

    func encodingFailed(type: String) {
        Counter(label: "meshd_xds_resource_encoding_failures_total", dimensions: [("type", type)], factory: factory)
            .increment()
    }
}
