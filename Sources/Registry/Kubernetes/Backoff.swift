/// Exponential backoff with full jitter, bounded: each failure doubles the ceiling up to `maximum`, and the wait is
/// drawn between half the ceiling and the ceiling, so that replicas reconnecting together spread out.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private var ceiling: Duration

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.ceiling = initial
    }

    /// The wait before the next attempt; grows the ceiling for the one after.
    mutating func next() -> Duration {
        let current = ceiling
        ceiling = min(ceiling * 2, maximum)
        let fraction = Double.random(in: 0.5...1.0)
        return current * fraction
    }

    /// After a success the next failure starts again from `initial`.
    mutating func reset() {
        ceiling = initial
    }
}
