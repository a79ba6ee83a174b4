/// How many CSRs one identity may send: a token bucket per identity, `burst` at once, refilled at
/// `refillPerSecond`.
///
/// Identities are per service account, and every replica of a deployment shares one, so the defaults allow
/// a scale-up of 100 pods at once and a sustained 5 per second; a proxy renews only at half its certificate's
/// lifetime, so anything near the limit is a loop or an attack.
public struct CSRRateLimit: Sendable, Hashable {
    public var burst: Int
    public var refillPerSecond: Double

    public init(burst: Int = 100, refillPerSecond: Double = 5) {
        self.burst = max(1, burst)
        self.refillPerSecond = max(0, refillPerSecond)
    }
}
