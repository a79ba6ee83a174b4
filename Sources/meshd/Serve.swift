import ArgumentParser
import Discovery
import Foundation
import Logging
import MeshModel
import MeshdApp
import ServiceLifecycle

/// `meshd serve`: watch a config directory and serve xDS to every connected proxy.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the control plane on a directory of Istio and Kubernetes YAML, a Kubernetes API server or etcd.")

    @Option(
        name: .long,
        help:
            "Directory of multi-document YAML, read recursively and watched for changes. Optional with a Kubernetes or etcd source."
    )
    var configDir: String?

    @Option(
        name: .long,
        help: "Watch the Kubernetes API server of this kubeconfig file (its current context, or --context).")
    var kubeconfig: String?

    @Option(name: .long, help: "The kubeconfig context to use (default: current-context).")
    var context: String?

    @Flag(name: .long, help: "Watch the Kubernetes API server of the pod meshd runs in (service-account token and CA).")
    var inCluster = false

    @Option(name: .long, help: "Where xDS (ADS over gRPC, plaintext) listens: HOST:PORT or unix:PATH.")
    var xdsAddress: String = "127.0.0.1:15010"

    @Option(name: .long, help: "Where the admin HTTP server listens: HOST:PORT.")
    var adminAddress: String = "127.0.0.1:15014"

    @Option(
        name: .long,
        help:
            "Bearer token that every admin route but /ready, /healthz, /version and /metrics requires (also MESHD_ADMIN_TOKEN). Mandatory when admin is not on loopback."
    )
    var adminToken: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "With an admin token, whether /metrics stays open for scrapers.")
    var adminPublicMetrics = true

    @Option(name: .long, help: "How many recent changes /debug/changes keeps.")
    var changeHistory: Int = 100

    @Option(
        name: .long,
        help:
            "How long an auto-registered WorkloadEntry stays after its proxy disconnects (istiod's PILOT_WORKLOAD_ENTRY_GRACE_PERIOD), e.g. 10s."
    )
    var workloadEntryGracePeriod: String = "10s"

    @Option(
        name: .long,
        help:
            "On SIGTERM or SIGINT, how long meshd waits for proxies to be disconnected and work to finish before it exits anyway."
    )
    var shutdownGrace: String = "10s"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Log format: text or json.")
    var logFormat: String = "text"

    @Option(
        name: .long,
        help:
            "Mesh-wide outbound traffic policy: ALLOW_ANY or REGISTRY_ONLY. Overrides the mesh config's outboundTrafficPolicy.mode (default: the mesh config's, else ALLOW_ANY). A Sidecar's own policy wins."
    )
    var outboundTrafficPolicy: String?

    @Option(
        name: .long,
        help:
            "Istio mesh config YAML (the content of the `mesh` key of the istio ConfigMap), read at start and watched. With a Kubernetes source, the istio ConfigMap of istio-system is read and watched as well."
    )
    var meshConfig: String?

    @OptionGroup(title: "Push engine")
    var pushOptions: ServePushOptions

    @OptionGroup(title: "File source")
    var sourceOptions: ServeSourceOptions

    @OptionGroup(title: "etcd source")
    var etcdOptions: EtcdOptions

    @OptionGroup(title: "Replicas on etcd or Kubernetes")
    var replicaOptions: ServeReplicaOptions

    @OptionGroup(title: "Security")
    var securityOptions: ServeSecurityOptions

    @OptionGroup(title: "Admission webhooks")
    var webhookOptions: ServeWebhookOptions

    @OptionGroup(title: "Connection limits")
    var transportOptions: ServeTransportOptions

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: unknown level \"\(logLevel)\"")
        }
        guard let xds = ListenAddress(xdsAddress) else {
            throw ValidationError("--xds-address: expected HOST:PORT or unix:PATH, got \"\(xdsAddress)\"")
        }
        guard case .tcp(let adminHost, let adminPort)? = ListenAddress(adminAddress) else {
            throw ValidationError("--admin-address: expected HOST:PORT, got \"\(adminAddress)\"")
        }
        guard let format = LogFormat(rawValue: logFormat) else {
            throw ValidationError("--log-format: expected text or json, got \"\(logFormat)\"")
        }
        try securityOptions.validate(xds: xds)
        let grace = try ServePushOptions.duration(shutdownGrace, flag: "--shutdown-grace")
        let pushSettings = try pushOptions.pushSettings()
        let serverOptions = try pushOptions.serverOptions()
        LogFormat.bootstrap(format, level: level)
        let logger = Logger(label: "meshd")
        let outboundOverride = try outboundTrafficPolicy.map { text in
            guard let mode = OutboundTrafficPolicyMode(rawValue: text) else {
                throw ValidationError("--outbound-traffic-policy: expected ALLOW_ANY or REGISTRY_ONLY, got \"\(text)\"")
            }
            return mode
        }
        var options = MeshdOptions(logger: logger)
        options.outboundTrafficPolicy = outboundOverride
        options.meshConfigFile = meshConfig
        if let configDir {
            options.configDirectory = configDir
            options.fileSource = try sourceOptions.fileSourceOptions()
            options.readyMaxBacklog = try sourceOptions.backlogLimit()
        }
        options.kubernetes = try kubernetesOptions()
        if options.kubernetes != nil, etcdOptions.etcdEndpoints == nil, replicaOptions.kubernetesReplicaSet {
            options.kubernetes?.replica = try replicaOptions.replica()
            options.kubernetes?.namespace = try replicaOptions.namespace()
            options.kubernetes?.configStatus = replicaOptions.configStatus
            options.kubernetes?.rootCertConfigMaps = replicaOptions.rootCertConfigmaps
            options.kubernetes?.webhookConfigurations = try replicaOptions.webhookConfigurations(
                namespace: try replicaOptions.namespace())
        }
        if let connection = try etcdOptions.connection() {
            options.etcd = MeshdOptions.Etcd(connection: connection, layout: etcdOptions.layout)
            options.etcd?.replica = try replicaOptions.replica()
        }
        options.security = try securityOptions.options(kubeconfig: kubeconfig, context: context)
        options.webhook = try webhookOptions.options(hasCA: options.security != nil)
        options.xdsAddress = xds
        options.admin = MeshdOptions.Admin(
            host: adminHost, port: adminPort,
            token: adminToken ?? ProcessInfo.processInfo.environment["MESHD_ADMIN_TOKEN"],
            publicMetrics: adminPublicMetrics)
        options.transport = try transportOptions.options(logger: logger)
        options.changeHistory = changeHistory
        options.workloadEntryGracePeriod = try ServePushOptions.duration(
            workloadEntryGracePeriod, flag: "--workload-entry-grace-period")
        options.push = pushSettings
        options.server = serverOptions
        options.gracefulShutdownSignals = [.sigterm, .sigint]
        options.shutdownGrace = grace
        try await shareCA(options, logger: logger)
        let meshd: MeshdApplication
        do {
            meshd = try buildMeshd(options)
        } catch let error as MeshdSetupError {
            throw ValidationError(error.description)
        }
        logger.info(
            "meshd starting",
            metadata: ["config-dir": "\(configDir ?? "-")", "xds": "\(xds)", "admin": "\(adminAddress)"])
        try await meshd.run()
        logger.info("meshd stopped")
    }
}
