import Foundation

/// A token bucket: `burst` requests at once, refilled at `refillPerSecond`. A value type; the caller
/// serialises access.
struct TokenBucket: Sendable {
    private(set) var tokens: Double
    private var updated: ContinuousClock.Instant

    init(burst: Int, now: ContinuousClock.Instant) {
        tokens = Double(burst)
        updated = now
    }

    /// Takes one token if there is one.
    mutating func take(now: ContinuousClock.Instant, burst: Int, refillPerSecond: Double) -> Bool {
        let elapsed = (now - updated).timeInterval
        tokens = min(Double(burst), tokens + max(0, elapsed) * refillPerSecond)
        updated = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
