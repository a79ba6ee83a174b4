import ArgumentParser
import Discovery
import XDSServer

/// `meshd serve` options of the push engine: debouncing, the EDS fast path, and backpressure.
struct ServePushOptions: ParsableArguments {
    @Option(name: .long, help: "Quiet period a config change waits for before it is pushed (e.g. 100ms, 1s).")
    var debounceAfter: String = "100ms"

    @Option(name: .long, help: "Longest a burst of config changes is held back before it is pushed anyway.")
    var debounceMax: String = "10s"

    @Option(
        name: .long, help: "Coalescing window of endpoint-only changes (Pods, WorkloadEntries), pushed as EDS only.")
    var edsDebounce: String = "10ms"

    @Option(name: .long, help: "How many proxies may have resources generated at once.")
    var pushConcurrency: Int = 16

    @Option(
        name: .long,
        help:
            "Megabytes of responses that may be written and not yet ACKed or NACKed, across all proxies, before a proxy waits to be sent more."
    )
    var pushBufferMb: Int = ADSServerOptions.defaultResponseBudgetBytes >> 20

    @Option(
        name: .long,
        help: "How long a response may wait for a proxy to read it before its stream is closed (0 waits forever).")
    var sendTimeout: String = "30s"

    /// The debounce settings, or a validation error naming the flag.
    func pushSettings() throws -> PushSettings {
        PushSettings(
            debounceAfter: try Self.duration(debounceAfter, flag: "--debounce-after"),
            debounceMax: try Self.duration(debounceMax, flag: "--debounce-max"),
            endpointWindow: try Self.duration(edsDebounce, flag: "--eds-debounce"))
    }

    /// The ADS server's limits, or a validation error naming the flag.
    func serverOptions() throws -> ADSServerOptions {
        guard pushConcurrency >= 1 else {
            throw ValidationError("--push-concurrency: expected at least 1, got \(pushConcurrency)")
        }
        guard pushBufferMb >= 1 else {
            throw ValidationError("--push-buffer-mb: expected at least 1, got \(pushBufferMb)")
        }
        let timeout = try Self.duration(sendTimeout, flag: "--send-timeout")
        return ADSServerOptions(
            pushConcurrency: pushConcurrency, sendTimeout: timeout == .zero ? nil : timeout,
            responseBudgetBytes: pushBufferMb << 20)
    }

    /// Parses `250ms`, `10s`, `2m` (or a bare number of seconds).
    static func duration(_ text: String, flag: String) throws -> Duration {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            if suffix == "s", text.hasSuffix("ms") { continue }
            if let value = Double(text.dropLast(suffix.count)), value >= 0 {
                return .milliseconds(Int64((value * seconds * 1000).rounded()))
            }
        }
        if let value = Double(text), value >= 0 { return .milliseconds(Int64((value * 1000).rounded())) }
        throw ValidationError("\(flag): expected a duration such as 100ms, 10s or 2m, got \"\(text)\"")
    }
}
