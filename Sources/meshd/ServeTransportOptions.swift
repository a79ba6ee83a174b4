import ArgumentParser
import Discovery
import Logging
import MeshdApp

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `meshd serve` options that bound what clients of the xDS ports can hold: connections, unauthenticated connections
/// and how long they may stay so, streams per connection, keepalive, and the file descriptors kept for the sources.
struct ServeTransportOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Most xDS connections open at once, over both xDS ports (0: the open-file limit minus --fd-reserve).")
    var xdsMaxConnections: Int = 0

    @Option(name: .long, help: "Most xDS connections that have not yet sent an admitted request.")
    var xdsMaxUnauthenticatedConnections: Int = 1_024

    @Option(
        name: .long,
        help: "How long a new xDS connection may go without an admitted request before it is closed (0: forever).")
    var xdsAuthDeadline: String = "10s"

    @Option(
        name: .long, help: "File descriptors never given to xDS connections: kept for config sources, admin and the CA."
    )
    var fdReserve: Int = 256

    @Option(
        name: .long,
        help: "Concurrent streams one HTTP/2 connection may open (advertised as SETTINGS_MAX_CONCURRENT_STREAMS).")
    var xdsMaxConcurrentStreams: Int = XDSTransportSettings.defaultMaxConcurrentStreams

    @Option(name: .long, help: "How long an xDS connection may be quiet before meshd pings it.")
    var xdsKeepaliveTime: String = "30s"

    @Option(
        name: .long,
        help: "How long a keepalive ping may go unanswered before the connection and its streams are dropped.")
    var xdsKeepaliveTimeout: String = "10s"

    /// The transport options, with the connection limits; a validation error names the flag.
    func options(logger: Logger) throws -> MeshdOptions.Transport {
        guard xdsMaxConnections >= 0 else {
            throw ValidationError("--xds-max-connections: expected 0 or more, got \(xdsMaxConnections)")
        }
        guard xdsMaxUnauthenticatedConnections >= 1 else {
            throw ValidationError(
                "--xds-max-unauthenticated-connections: expected at least 1, got \(xdsMaxUnauthenticatedConnections)")
        }
        guard fdReserve >= 0 else { throw ValidationError("--fd-reserve: expected 0 or more, got \(fdReserve)") }
        guard (1...Int(Int32.max)).contains(xdsMaxConcurrentStreams) else {
            throw ValidationError("--xds-max-concurrent-streams: expected at least 1, got \(xdsMaxConcurrentStreams)")
        }
        let deadline = try ServePushOptions.duration(xdsAuthDeadline, flag: "--xds-auth-deadline")
        let keepaliveTime = try ServePushOptions.duration(xdsKeepaliveTime, flag: "--xds-keepalive-time")
        let keepaliveTimeout = try ServePushOptions.duration(xdsKeepaliveTimeout, flag: "--xds-keepalive-timeout")
        guard keepaliveTime > .zero, keepaliveTimeout > .zero else {
            throw ValidationError("--xds-keepalive-time and --xds-keepalive-timeout: expected more than 0")
        }
        let openFiles = Self.raiseOpenFileLimit()
        let available = openFiles - fdReserve
        guard available >= 16 else {
            throw ValidationError(
                "--fd-reserve: the open-file limit is \(openFiles), which leaves \(available) for xDS connections after reserving \(fdReserve); raise `ulimit -n` or lower --fd-reserve"
            )
        }
        let maxConnections = xdsMaxConnections == 0 ? available : min(xdsMaxConnections, available)
        if xdsMaxConnections > available {
            logger.warning(
                "--xds-max-connections is above what the open-file limit allows; using the lower figure",
                metadata: [
                    "asked": "\(xdsMaxConnections)", "using": "\(maxConnections)", "open-file-limit": "\(openFiles)",
                    "fd-reserve": "\(fdReserve)",
                ])
        }
        let limits = XDSConnectionLimits(
            maxConnections: maxConnections, maxUnauthenticated: min(xdsMaxUnauthenticatedConnections, maxConnections),
            authenticationDeadline: deadline == .zero ? nil : deadline)
        logger.info(
            "xDS connection limits",
            metadata: [
                "max-connections": "\(limits.maxConnections)", "max-unauthenticated": "\(limits.maxUnauthenticated)",
                "auth-deadline": "\(xdsAuthDeadline)", "open-file-limit": "\(openFiles)", "fd-reserve": "\(fdReserve)",
                "max-concurrent-streams": "\(xdsMaxConcurrentStreams)",
            ])
        var options = MeshdOptions.Transport()
        options.keepaliveTime = keepaliveTime
        options.keepaliveTimeout = keepaliveTimeout
        options.maxConcurrentStreams = xdsMaxConcurrentStreams
        options.connectionLimits = limits
        return options
    }

    /// Raises the soft open-file limit to the hard one (as Go's runtime does) and returns the soft limit in force.
    static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == rlim_t.max ? Int(Int32.max) : Int(clamping: limit.rlim_cur)
    }
}
