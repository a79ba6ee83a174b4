import ArgumentParser
import Registry

/// `meshd serve` options of the file source: how removals wait, how long a slow file may hold up a batch, and when
/// a backlog makes meshd unready.
struct ServeSourceOptions: ParsableArguments {
    @Option(
        name: .long, help: "How long a config file, or an object in one, must stay gone before it is removed (e.g. 1s)."
    )
    var configQuietPeriod: String = "1s"

    @Option(
        name: .long,
        help:
            "How long a scan's changes wait for their slowest file to decode before the others are applied without it.")
    var slowDecodeAfter: String = "500ms"

    @Option(
        name: .long,
        help: "/ready answers 503 while a config change has waited longer than this to be applied (0 never).")
    var readyMaxBacklog: String = "10s"

    /// The file source's options, or a validation error naming the flag.
    func fileSourceOptions() throws -> FileSource.Options {
        var options = FileSource.Options()
        options.quietPeriod = try ServePushOptions.duration(configQuietPeriod, flag: "--config-quiet-period")
        options.slowDecodeAfter = try ServePushOptions.duration(slowDecodeAfter, flag: "--slow-decode-after")
        return options
    }

    /// The backlog age that makes meshd unready; nil when disabled.
    func backlogLimit() throws -> Duration? {
        let limit = try ServePushOptions.duration(readyMaxBacklog, flag: "--ready-max-backlog")
        return limit == .zero ? nil : limit
    }
}
