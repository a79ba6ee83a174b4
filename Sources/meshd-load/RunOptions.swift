import ArgumentParser

/// What `meshd-load run` does, as flags.
struct RunOptions: ParsableArguments {
    @Option(help: "Simulated proxies (each on its own HTTP/2 connection).")
    var proxies = 20

    @Option(help: "Mesh size: services (used to generate the mesh when --config-dir is absent, and for identities).")
    var services = 100

    @Option(help: "Endpoints (WorkloadEntries) per service.")
    var endpoints = 5

    @Option(help: "Namespaces the services are spread over.")
    var namespaces = 10

    @Option(help: "Directory holding the gen-mesh output; generated into a temporary directory when absent.")
    var configDir: String?

    @Option(help: "Path of a meshd binary to spawn (preferred: meshd-load then reads its /proc and /metrics itself).")
    var meshd: String?

    @Option(help: "An already running xDS server, HOST:PORT (127.x only), instead of spawning one.")
    var xdsAddress: String?

    @Option(help: "PID of the already running meshd, for RSS and CPU.")
    var meshdPid: Int32?

    @Option(help: "Admin port of the already running meshd, for /metrics.")
    var adminPort: Int?

    @Option(help: "Serve the proxies from this replay recording (the floor) instead of meshd.")
    var replay: String?

    @Option(help: "Record the responses the proxies synced with into this directory (for --replay).")
    var record: String?

    @Option(help: "sotw or delta.")
    var mode = "sotw"

    @Option(help: "Fraction of proxies (0...1) that NACK every RDS response instead of ACKing.")
    var nackFraction = 0.0

    @Option(help: "After sync, make one change and time convergence: none, endpoint or virtual-service.")
    var change = "none"

    @Option(
        help:
            "After sync, move one endpoint this many times a second (S7, sustained churn), each of another service whose workloads no proxy is; 0: none. Needs a mesh generated with --file-per-service."
    )
    var churnRate = 0.0

    @Option(help: "Seconds the churn lasts.")
    var churnSeconds = 60.0

    @Flag(help: "After sync (and the change), drop every connection at once and time the resync.")
    var reconnect = false

    @Option(help: "Extra proxies that subscribe and then never read (excluded from the figures).")
    var stalledProxies = 0

    @Option(help: "Seconds to wait for a spawned meshd to answer /ready (it loads the whole mesh first).")
    var readyTimeout = 600

    @Option(help: "Give up (and say so) when the server's RSS passes this many MB, to protect the machine.")
    var maxServerRssMb = 8000

    @Option(help: "Seconds to wait for all proxies to sync.")
    var syncTimeout = 120.0

    @Option(help: "Seconds to wait for convergence after the change.")
    var convergenceTimeout = 30.0

    @Option(help: "Extra arguments for a spawned meshd, space-separated.")
    var meshdArgs = ""

    @Flag(help: "Print the report as JSON.")
    var json = false
}
