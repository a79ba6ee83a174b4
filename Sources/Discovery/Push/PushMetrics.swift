public import CoreMetrics

/// The push engine's figures: the generation cache and the debounced pushes. Thread-safe.
///
/// - `meshd_xds_cache_entries`: generated sets held (per type and distinct proxy view);
/// - `meshd_xds_cache_hits_total` / `meshd_xds_cache_misses_total`: lookups served from the cache / generated;
/// - `meshd_pushes_total{path="eds"|"full"}`: pushes after debouncing, by path;
/// - `meshd_push_changes_merged_total`: changes folded into those pushes.
public final class PushMetrics: Sendable {
    private let entries: Gauge
    private let hits: Counter
    private let misses: Counter
    private let edsPushes: Counter
    private let fullPushes: Counter
    private let merged: Counter

    public init(factory: any MetricsFactory) {
        entries = Gauge(label: "meshd_xds_cache_entries", factory: factory)
        hits = Counter(label: "meshd_xds_cache_hits_total", factory: factory)
        misses = Counter(label: "meshd_xds_cache_misses_total", factory: factory)
        edsPushes = Counter(label: "meshd_pushes_total", dimensions: [("path", "eds")], factory: factory)
        fullPushes = Counter(label: "meshd_pushes_total", dimensions: [("path", "full")], factory: factory)
        merged = Counter(label: "meshd_push_changes_merged_total", factory: factory)
        entries.record(0)
    }

    func cacheHit() { hits.increment() }
    func cacheMiss() { misses.increment() }
    func cacheEntries(_ count: Int) { entries.record(count) }

    func pushed(endpointOnly: Bool, changes: Int) {
        (endpointOnly ? edsPushes : fullPushes).increment()
        merged.increment(by: changes)
    }
}
