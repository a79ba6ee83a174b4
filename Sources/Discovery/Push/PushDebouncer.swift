/// How long config changes wait before a push, and the short window of the endpoint fast path.
public struct PushSettings: Sendable, Hashable {
    /// A config push waits for this much quiet after the latest change (`--debounce-after`).
    public var debounceAfter: Duration
    /// ...but never longer than this after the first change of a burst (`--debounce-max`).
    public var debounceMax: Duration
    /// Endpoint-only changes are coalesced for this long after the first one (`--eds-debounce`).
    public var endpointWindow: Duration

    public init(
        debounceAfter: Duration = .milliseconds(100), debounceMax: Duration = .seconds(10),
        endpointWindow: Duration = .milliseconds(10)
    ) {
        self.debounceAfter = debounceAfter
        self.debounceMax = max(debounceMax, .zero)
        self.endpointWindow = endpointWindow
    }
}

/// Decides when a burst of changes becomes one push, as a state machine with no clock of its own: callers
/// pass instants in, so tests drive it with made-up times.
///
/// Config changes wait for `debounceAfter` of quiet, capped at `debounceMax` from the first change.
/// A burst of only endpoint changes waits `endpointWindow` from its first change. Any config change in a
/// burst makes the whole burst a config push. Not thread-safe.
public struct PushDebouncer: Sendable {
    /// The changes waiting for a push.
    public struct Burst: Sendable, Hashable {
        public var firstAt: ContinuousClock.Instant
        public var lastAt: ContinuousClock.Instant
        /// True while every change in the burst touched only endpoints (Pods, WorkloadEntries).
        public var endpointOnly: Bool
        public var changes: Int
    }

    public let settings: PushSettings
    public private(set) var pending: Burst?

    public init(settings: PushSettings) {
        self.settings = settings
    }

    /// Records one change.
    public mutating func changed(endpointOnly: Bool, at now: ContinuousClock.Instant) {
        guard var burst = pending else {
            pending = Burst(firstAt: now, lastAt: now, endpointOnly: endpointOnly, changes: 1)
            return
        }
        burst.lastAt = now
        burst.endpointOnly = burst.endpointOnly && endpointOnly
        burst.changes += 1
        pending = burst
    }

    /// When the pending burst is due; nil when nothing is pending. Never moves earlier as changes arrive.
    public var deadline: ContinuousClock.Instant? {
        guard let burst = pending else { return nil }
        if burst.endpointOnly { return burst.firstAt + settings.endpointWindow }
        return min(burst.lastAt + settings.debounceAfter, burst.firstAt + settings.debounceMax)
    }

    /// Takes the pending burst if it is due at `now`.
    public mutating func fire(at now: ContinuousClock.Instant) -> Burst? {
        guard let deadline, now >= deadline else { return nil }
        defer { pending = nil }
        return pending
    }
}
