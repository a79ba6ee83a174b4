public import CertificateAuthority
public import Discovery
import Logging
public import Prometheus
public import Registry
public import ServiceLifecycle
import UnixSignals
public import XDSServer

/// The daemon as `buildMeshd(_:)` assembled it: the services to run, and handles on its parts for the caller (tests
/// feed the store, read the tracker, push through the ADS server, ...). Nothing runs until `run()`.
public struct MeshdApplication: Sendable {
    /// Every long-running part, in the order the service group starts them.
    public let services: [any Service]
    public let store: ConfigStore
    public let readiness: Readiness
    public let provider: MeshResourceProvider
    public let ads: ADSServer<MeshResourceProvider>
    public let tracker: ChangeTracker
    /// Every metric meshd exports on `/metrics`.
    public let metrics: PrometheusCollectorRegistry
    /// The CA; nil when built without `MeshdOptions.security`.
    public let ca: CertificateAuthority?
    /// Where each listener is bound, once it has started.
    public let listening: ListeningAddresses
    /// This replica's place in the replica set on etcd; nil without `MeshdOptions.Etcd.replica`.
    public let replicas: ReplicaState?
    let gracefulShutdownSignals: [UnixSignal]
    let shutdownGrace: Duration
    let logger: Logger

    init(
        services: [any Service], store: ConfigStore, readiness: Readiness, provider: MeshResourceProvider,
        ads: ADSServer<MeshResourceProvider>, tracker: ChangeTracker, metrics: PrometheusCollectorRegistry,
        ca: CertificateAuthority?, listening: ListeningAddresses, replicas: ReplicaState? = nil, options: MeshdOptions
    ) {
        self.replicas = replicas
        self.services = services
        self.store = store
        self.readiness = readiness
        self.provider = provider
        self.ads = ads
        self.tracker = tracker
        self.metrics = metrics
        self.ca = ca
        self.listening = listening
        self.gracefulShutdownSignals = options.gracefulShutdownSignals
        self.shutdownGrace = options.shutdownGrace
        self.logger = options.logger
    }

    /// Runs every service in one `ServiceGroup` until a graceful-shutdown signal (then at most the shutdown grace,
    /// and 5 s of cancellation) or until the calling task is cancelled.
    public func run() async throws {
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = gracefulShutdownSignals
        configuration.maximumGracefulShutdownDuration = shutdownGrace
        configuration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}
