import AdminServer
import CertificateAuthority
import Discovery
import Logging
import MeshModel
import Prometheus
import Registry
import Webhooks
import ServiceLifecycle
import XDSServer
import XDSTranslator

/// The one composition root of meshd: builds the daemon that `options` describe, as hummingbird's examples build
/// theirs in `buildApplication(_:)`. `meshd serve` calls it with its parsed flags; the in-process test harnesses call
/// it with what they vary. Nothing runs until `MeshdApplication.run()`.
///
/// Reads what must be right before meshd starts (the mesh config file, the config directory, the CA) and throws
/// `MeshdSetupError`, naming the `meshd serve` flag, when one of them cannot be used.
public func buildMeshd(_ options: MeshdOptions) throws -> MeshdApplication {
    let logger = options.logger
    let store = ConfigStore(logger: logger, outboundTrafficPolicyOverride: options.outboundTrafficPolicy)
    let readiness = Readiness()
    let registry = PrometheusCollectorRegistry()
    let metricsFactory = PrometheusMetricsFactory(registry: registry)
    var sources: [any Service] = []
    if let path = options.meshConfigFile {
        let source = MeshConfigFileSource(path: path, store: store, logger: logger)
        do {
            try source.loadOnce()
        } catch {
            throw MeshdSetupError("--mesh-config: \(error)")
        }
        sources.append(source)
    }
    // Workload identities are in the mesh config's trust domain (read at start: changing it needs a restart, as with
    // istiod's CA).
    let security = try options.security.map {
        try MeshdSecurity(options: $0, trustDomain: store.meshConfig().trustDomain, logger: logger)
    }
    let listening = ListeningAddresses()
    // The leader duties on Kubernetes. The validating webhooks fail closed only once this replica's webhook server
    // is bound and meshd is ready (as istiod flips failurePolicy once its webhook answers).
    let kubernetesDuties = kubernetesLeaderDuties(
        options, store: store, ca: security?.ca, isWebhookReady: { listening[.webhook] != nil && readiness.isReady },
        logger: logger)
    // One replica of a replica set when on etcd: its state is fed by the etcd source's watch and read by the admin.
    let replicas = (options.etcd?.replica ?? options.kubernetes?.replica).map { replica in
        ReplicaState(
            id: replica.id, leaseTTL: replica.service.leaseTTL,
            duties: options.etcd?.replica != nil ? [ConfigStatusDuty.dutyName] : kubernetesDuties.map(\.name),
            factory: metricsFactory)
    }
    sources += try configSources(
        options, store: store, readiness: readiness, metrics: SourceMetrics(factory: metricsFactory),
        replicas: replicas)

    let pushMetrics = PushMetrics(factory: metricsFactory)
    // The start-up value; the live one is in every snapshot's mesh config (the store folds the flag into it), which
    // SidecarScope reads first.
    let outboundPolicy = store.meshConfig().outboundTrafficPolicy ?? .allowAny
    let autoRegistration = WorkloadAutoRegistration(
        store: store, gracePeriod: options.workloadEntryGracePeriod, logger: logger,
        shared: sharedRegistration(options, replicas: replicas))
    let provider = MeshResourceProvider(
        snapshot: store.snapshot(), security: security?.proxies, metrics: pushMetrics,
        translatorSettings: TranslatorSettings(outboundTrafficPolicy: outboundPolicy),
        authorizationWarnings: AuthorizationWarningLog(logger: logger), autoRegistration: autoRegistration)
    let metrics = XDSMetrics(factory: metricsFactory)
    let tracker = ChangeTracker(capacity: options.changeHistory) { metrics.recordConvergence($0) }
    let heapTrimmer = HeapTrimmer()
    let ads = ADSServer(
        provider: provider,
        observer: XDSEventFanOut([provider.connected, tracker, metrics, heapTrimmer, autoRegistration]),
        options: options.server, logger: logger)

    // A replica set's self-signed root lives in its shared store: rotations there reach every replica.
    let rootSync = sharedRootSync(options, ca: security?.ca, logger: logger) { ads.push(PushRequest(types: [.secret])) }
    var admin: AdminServer?
    if let adminOptions = options.admin {
        var context = AdminContext(
            store: store, provider: provider, ads: ads, readiness: readiness, tracker: tracker, metrics: registry,
            caMetrics: security.map { CAMetrics(ca: $0.ca, factory: metricsFactory) }, replicas: replicas)
        if let rootSync { context.rotateSharedRoot = { try await rootSync.rotate() } }
        do {
            admin = try AdminServer(
                host: adminOptions.host, port: adminOptions.port, context: context, token: adminOptions.token,
                publicMetrics: adminOptions.publicMetrics, logger: logger,
                onListening: { listening.record(.tcp(host: adminOptions.host, port: $0), for: .admin) })
        } catch {
            throw MeshdSetupError("--admin-address: \(error)")
        }
    }
    let transport = transportSettings(options.transport, metrics: metricsFactory, logger: logger)
    let securityServices =
        try security?.services(
            provider: provider, ads: ads, readiness: readiness, transport: transport, listening: listening) ?? []
    let jwks = JWKSService(store: store, fetcher: options.jwksFetcher, logger: logger)
    var services: [any Service] = securityServices + sources
    services += [
        jwks,
        SnapshotPushService(
            store: store, provider: provider, ads: ads, readiness: readiness, tracker: tracker, metrics: metrics,
            settings: options.push, pushMetrics: pushMetrics, jwks: jwks, logger: logger),
        XDSGRPCService(
            address: options.xdsAddress, provider: provider, ads: ads, readiness: readiness,
            extraServices: security.map { [$0.csr] } ?? [], interceptors: security?.interceptors ?? [],
            transport: transport, logger: logger, onListening: { listening.record($0, for: .xds) }),
    ]
    if let admin { services.append(admin) }
    if let webhook = options.webhook {
        guard let ca = security?.ca else {
            throw MeshdSetupError("--webhook-address: the webhooks serve a certificate from meshd's CA, which is disabled")
        }
        for warning in webhook.injector.warnings { logger.warning("--injector-config: \(warning)") }
        do {
            services.append(
                try WebhookServer(
                    host: webhook.host, port: webhook.port, ca: ca, dnsNames: webhook.dnsNames,
                    injection: InjectionWebhook(config: webhook.injector, mesh: { store.snapshot() }),
                    validation: ValidationWebhook(meshConfig: { store.meshConfig() }),
                    metrics: WebhookMetrics(factory: metricsFactory), logger: logger,
                    onListening: { listening.record(.tcp(host: webhook.host, port: $0), for: .webhook) }))
        } catch {
            throw MeshdSetupError("--webhook-address: cannot issue the serving certificate: \(error)")
        }
    }
    services.append(heapTrimmer)
    if let rootSync { services.append(rootSync) }
    if let etcd = options.etcd, let replica = etcd.replica, let replicas {
        services.append(
            replicaService(
                etcd, replica: replica, state: replicas, store: store, listening: listening,
                hasAdmin: options.admin != nil, hasSecureXDS: options.security?.secureXDSAddress != nil,
                logger: logger))
    } else if let kubernetes = options.kubernetes, let replica = kubernetes.replica, let replicas {
        services.append(
            kubernetesReplicaService(
                kubernetes, replica: replica, state: replicas, duties: kubernetesDuties,
                record: replicaRecord(
                    replica, listening: listening, hasAdmin: options.admin != nil,
                    hasSecureXDS: options.security?.secureXDSAddress != nil),
                logger: logger))
    }
    services.append(autoRegistration)
    return MeshdApplication(
        services: services, store: store, readiness: readiness, provider: provider, ads: ads, tracker: tracker,
        metrics: registry, ca: security?.ca, listening: listening, replicas: replicas, options: options)
}

/// The replica's membership of the replica set: registry, leader election and the config-status duty. Its record
/// waits for the xDS (and admin) listeners to be bound, so it advertises the real ports.
/// The etcd source reads the mesh config only when no `--mesh-config` file takes precedence.
func etcdSourceOptions(_ options: EtcdSource.Options, meshConfigFile: String?) -> EtcdSource.Options {
    var result = options
    result.readsMeshConfig = result.readsMeshConfig && meshConfigFile == nil
    return result
}

func replicaService(
    _ etcd: MeshdOptions.Etcd, replica: MeshdOptions.Replica, state: ReplicaState, store: ConfigStore,
    listening: ListeningAddresses, hasAdmin: Bool, hasSecureXDS: Bool, logger: Logger
) -> EtcdReplicaService {
    let duty = ConfigStatusDuty(store: store, layout: etcd.layout, interval: replica.statusInterval, logger: logger)
    return EtcdReplicaService(
        connection: etcd.connection, layout: etcd.layout, state: state, options: replica.service, duties: [duty],
        logger: logger,
        record: replicaRecord(replica, listening: listening, hasAdmin: hasAdmin, hasSecureXDS: hasSecureXDS))
}

/// This replica's registry record, nil until its xDS (and admin) listeners are bound, so it advertises real ports.
func replicaRecord(
    _ replica: MeshdOptions.Replica, listening: ListeningAddresses, hasAdmin: Bool, hasSecureXDS: Bool
) -> @Sendable () -> ReplicaRecord? {
    let ttl = replica.service.leaseTTL.components.seconds
    return {
        guard let xds = listening[.xds] else { return nil }
        var admin = replica.advertisedAdmin
        if admin == nil, hasAdmin {
            guard case .tcp(let host, let port)? = listening[.admin] else { return nil }
            admin = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }
        var addresses = [xds]
        if hasSecureXDS {
            guard let secure = listening[.secureXDS] else { return nil }
            addresses.append(secure)
        }
        return ReplicaRecord(
            id: replica.id, xds: addresses.map(\.description), admin: admin, version: MeshdVersion.version,
            leaseTTLSeconds: ttl)
    }
}

/// The file, Kubernetes and etcd sources, with the readiness conditions they hold; the config directory is read once here.
func configSources(
    _ options: MeshdOptions, store: ConfigStore, readiness: Readiness, metrics: SourceMetrics,
    replicas: ReplicaState? = nil
) throws -> [any Service] {
    var sources: [any Service] = []
    if let directory = options.configDirectory {
        let source = FileSource(
            directory: directory, store: store, options: options.fileSource, metrics: metrics, logger: options.logger)
        do {
            try source.loadOnce()
        } catch {
            throw MeshdSetupError("--config-dir: \(error)")
        }
        if let limit = options.readyMaxBacklog {
            readiness.watchBacklog("config files", limit: limit) { source.backlog() }
        }
        sources.append(source)
    }
    if let kubernetes = options.kubernetes {
        for kind in kubernetes.options.kinds { readiness.require("kubernetes \(kind) synced") }
        sources.append(
            KubernetesSource(
                connection: kubernetes.connection, store: store, options: kubernetes.options, metrics: metrics,
                logger: options.logger, onSynced: { kind in
                    readiness.satisfy("kubernetes \(kind) synced", generation: store.snapshot().generation)
                }))
    }
    if let etcd = options.etcd {
        // Ready only once the first listing of the prefix is in the store.
        readiness.require("etcd synced")
        sources.append(
            EtcdSource(
                connection: etcd.connection, layout: etcd.layout, store: store,
                options: etcdSourceOptions(etcd.options, meshConfigFile: options.meshConfigFile),
                metrics: metrics, logger: options.logger, onSynced: { readiness.satisfy("etcd synced", generation: store.snapshot().generation) },
                onRevision: { replicas?.watchApplied(revision: $0) },
                onReachable: { reachable in
                    readiness.degraded(
                        "etcd", since: reachable ? nil : .now, detail: "serving the last state read from it")
                }))
    }
    return sources
}

/// The xDS listeners' transport settings, with the connection gate when limits are set.
func transportSettings(
    _ options: MeshdOptions.Transport, metrics: PrometheusMetricsFactory, logger: Logger
) -> XDSTransportSettings {
    guard let limits = options.connectionLimits else {
        return XDSTransportSettings(
            keepaliveTime: options.keepaliveTime, keepaliveTimeout: options.keepaliveTimeout,
            maxConcurrentStreams: options.maxConcurrentStreams)
    }
    return XDSTransportSettings(
        keepaliveTime: options.keepaliveTime, keepaliveTimeout: options.keepaliveTimeout,
        maxConcurrentStreams: options.maxConcurrentStreams, connectionLimits: limits, metrics: metrics, logger: logger)
}
