import Synchronization

/// Per-identity token buckets for the CSR service. Thread-safe.
final class CSRRateLimiter: Sendable {
    /// Past this many identities, full (idle) buckets are forgotten, so memory stays bounded.
    static let pruneThreshold = 10_000

    let limit: CSRRateLimit
    private let buckets = Mutex<[SPIFFEIdentity: TokenBucket]>([:])

    init(limit: CSRRateLimit) {
        self.limit = limit
    }

    /// Whether `identity` may send one more CSR now; takes a token when it may.
    func admit(_ identity: SPIFFEIdentity, now: ContinuousClock.Instant = .now) -> Bool {
        buckets.withLock { buckets in
            if buckets.count > Self.pruneThreshold {
                let limit = limit
                buckets = buckets.filter { _, bucket in
                    var copy = bucket
                    _ = copy.take(now: now, burst: limit.burst, refillPerSecond: limit.refillPerSecond)
                    return copy.tokens < Double(limit.burst) - 1
                }
            }
            var bucket = buckets[identity] ?? TokenBucket(burst: limit.burst, now: now)
            let admitted = bucket.take(now: now, burst: limit.burst, refillPerSecond: limit.refillPerSecond)
            buckets[identity] = bucket
            return admitted
        }
    }
}
