public import Logging
import Synchronization

/// Where the translator's authorization warnings go: what a policy lost in translation and how it was made to fail
/// closed (an unknown CUSTOM provider, a `jwksUri` with no key set yet, a value Envoy cannot match).
///
/// The translator stays pure and returns them; the provider hands them here each time it generates a listener set.
/// Each distinct warning is logged once, at warning level, with the first proxy it was seen on; `current` lists
/// them for the admin side. Thread-safe.
public final class AuthorizationWarningLog: Sendable {
    /// Distinct warnings remembered; past this, new ones are still logged but no longer deduplicated.
    static let capacity = 1_000

    private struct State {
        var seen: [String: String] = [:]
    }

    private let state = Mutex(State())
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Records `warnings` from the listeners generated for `proxyID`, logging those not seen before.
    public func report(_ warnings: [String], proxyID: String) {
        guard !warnings.isEmpty else { return }
        let fresh = state.withLock { state -> [String] in
            warnings.filter { warning in
                guard state.seen[warning] == nil else { return false }
                if state.seen.count < Self.capacity { state.seen[warning] = proxyID }
                return true
            }
        }
        for warning in fresh {
            logger.warning("authorization: \(warning)", metadata: ["proxy": "\(proxyID)"])
        }
    }

    /// Every distinct warning seen so far, with the first proxy it was seen on, sorted.
    public var current: [(warning: String, proxyID: String)] {
        state.withLock { $0.seen.map { (warning: $0.key, proxyID: $0.value) } }.sorted { $0.warning < $1.warning }
    }
}
