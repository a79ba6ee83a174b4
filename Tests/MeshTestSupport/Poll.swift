/// Bounded waiting: every wait in the end-to-end tests goes through here, so none can hang a run.
public enum Poll {
    /// Evaluates `attempt` every `interval` until it returns a value or `timeout` has passed.
    ///
    /// Errors thrown by `attempt` count as "not yet"; the last one is quoted when the wait runs out, together
    /// with `what`, so a timeout says what was awaited and what was seen instead.
    public static func until<T>(
        _ what: String, timeout: Duration, interval: Duration = .milliseconds(100),
        _ attempt: () async throws -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        var lastProblem = "no attempt finished"
        while true {
            do {
                if let value = try await attempt() { return value }
                lastProblem = "condition not met"
            } catch {
                lastProblem = "\(error)"
            }
            if ContinuousClock.now >= deadline {
                throw HarnessError("timed out after \(timeout) waiting for \(what); last seen: \(lastProblem)")
            }
            try await Task.sleep(for: interval)
        }
    }
}
