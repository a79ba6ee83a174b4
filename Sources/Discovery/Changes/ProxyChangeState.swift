public import XDSServer

/// Where one change stands on one proxy.
public enum ProxyChangeState: Sendable {
    /// Sent (these types), not yet accepted.
    case pending(sentAt: ContinuousClock.Instant, types: Set<XDSType>)
    /// The proxy accepted every response that carried the change.
    case acknowledged(sentAt: ContinuousClock.Instant, at: ContinuousClock.Instant)
    /// The proxy rejected a response that carried the change.
    case rejected(type: XDSType, nack: NackRecord)
    /// The proxy went away before accepting.
    case disconnected
    /// The change did not alter anything this proxy receives.
    case unaffected

    var isAffected: Bool {
        if case .unaffected = self { return false }
        return true
    }
}

/// A change together with its progress across the proxies connected when it was published.
public struct TrackedChange: Sendable {
    public var change: ConfigChange
    public var publishedAt: ContinuousClock.Instant
    /// Proxies connected at publication (by connection id), with the proxy name.
    public var candidates: [UInt64: String]
    public var proxies: [UInt64: ProxyChangeState]

    /// Affected proxies that accepted it, and how many were affected.
    public var converged: (acknowledged: Int, affected: Int) {
        let affected = proxies.values.filter(\.isAffected)
        let acked = affected.filter { if case .acknowledged = $0 { true } else { false } }
        return (acked.count, affected.count)
    }

    /// Time from publication to the last ACK, once every affected proxy accepted it.
    public var timeToConvergence: Duration? {
        let (acked, affected) = converged
        guard affected > 0, acked == affected, proxies.count == candidates.count else { return nil }
        let last = proxies.values.compactMap { state -> ContinuousClock.Instant? in
            if case .acknowledged(_, let at) = state { return at }
            return nil
        }.max()
        return last.map { $0 - publishedAt }
    }

    /// Proxies that have not accepted it: pending, rejected or not yet evaluated.
    public var stragglers: [String] {
        candidates.compactMap { id, name in
            switch proxies[id] {
            case .none, .pending, .rejected: name
            default: nil
            }
        }.sorted()
    }
}
