public import Discovery
public import EtcdClient
public import Injection
public import Logging
public import MeshModel
public import Registry
public import UnixSignals
public import XDSServer

/// Everything `buildMeshd(_:)` needs to assemble the daemon, already parsed and checked: `meshd serve` turns its
/// flags into one (see `Serve`), and the in-process test harnesses set what they vary (in-memory or directory
/// sources, port 0, no CA or a CA in a temporary directory).
///
/// The defaults are `meshd serve`'s, except that a library traps no signals.
public struct MeshdOptions: Sendable {
    /// Where `meshd` logs; every part gets this logger.
    public var logger: Logger

    // MARK: Sources

    /// A directory of YAML, read once at build time (an error is a setup error) and then watched. With neither a
    /// directory nor `kubernetes`, the store is fed in memory by the caller (`MeshdApplication.store`).
    public var configDirectory: String?
    public var fileSource = FileSource.Options()
    /// `/ready` answers 503 while a config change has waited longer than this to be applied; nil never.
    public var readyMaxBacklog: Duration? = .seconds(10)
    /// A Kubernetes API server to watch.
    public var kubernetes: Kubernetes?
    /// An etcd cluster to watch (objects under a key prefix, one per key). Combinable with the file source: files
    /// take precedence over etcd for an object both declare.
    public var etcd: Etcd?
    /// A mesh config YAML file, read at build time and watched.
    public var meshConfigFile: String?
    /// `--outbound-traffic-policy`: overrides the mesh config's mode.
    public var outboundTrafficPolicy: OutboundTrafficPolicyMode?
    /// Fetches RequestAuthentication `jwksUri`s.
    public var jwksFetcher: any JWKSFetcher = HTTPJWKSFetcher()

    // MARK: Serving

    /// The plaintext xDS (and CSR) listener, Istio's 15010. Port 0 binds a free port (see `MeshdApplication.listening`).
    public var xdsAddress: ListenAddress = .tcp(host: "127.0.0.1", port: 15010)
    /// The admin HTTP server, Istio's 15014; nil runs none.
    public var admin: Admin? = Admin()
    /// The CA, proxy authentication, SDS and the TLS xDS port. nil runs without a CA (tests and embedders only:
    /// proxies are not authenticated and get no secrets).
    public var security: Security? = Security()
    /// The HTTPS admission webhooks (istiod's 15017): injection and validation; nil runs none. Needs `security`.
    public var webhook: Webhook?
    public var transport = Transport()
    /// How many recent changes `/debug/changes` keeps.
    public var changeHistory = 100
    /// How long an auto-registered WorkloadEntry outlives its proxy's last connection (istiod's
    /// `PILOT_WORKLOAD_ENTRY_GRACE_PERIOD`, `--workload-entry-grace-period`).
    public var workloadEntryGracePeriod: Duration = WorkloadAutoRegistration.defaultGracePeriod
    public var push = PushSettings()
    public var server = ADSServerOptions()

    // MARK: Running

    /// On these signals `MeshdApplication.run()` shuts down gracefully; `meshd serve` traps SIGTERM and SIGINT.
    public var gracefulShutdownSignals: [UnixSignal] = []
    /// How long a graceful shutdown may take before the services are cancelled.
    public var shutdownGrace: Duration = .seconds(10)

    public init(logger: Logger) {
        self.logger = logger
    }
}
