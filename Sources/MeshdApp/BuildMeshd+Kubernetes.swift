import CertificateAuthority
import Discovery
import Logging
import Registry

/// The replica's membership of the replica set on Kubernetes: registry and leader Leases in the meshd namespace,
/// and the leader `duties` (`kubernetesLeaderDuties`).
func kubernetesReplicaService(
    _ kubernetes: MeshdOptions.Kubernetes, replica: MeshdOptions.Replica, state: ReplicaState,
    duties: [any KubernetesLeaderDuty], record: @escaping @Sendable () -> ReplicaRecord?, logger: Logger
) -> KubernetesReplicaService {
    var options = KubernetesReplicaService.Options(
        namespace: kubernetes.namespace, leaseDuration: replica.service.leaseTTL)
    options.retryDelay = replica.service.retryDelay
    return KubernetesReplicaService(
        connection: kubernetes.connection, state: state, options: options, duties: duties, logger: logger,
        record: record)
}

/// The leader duties of the replica set on Kubernetes, in the order `/debug/replicas` lists them: each Istio
/// object's status (unless turned off); with a CA, `istio-ca-root-cert` in every namespace (unless turned off) and the CA bundle in
/// Istio's webhook configurations (unless both names are empty). Empty unless this process is a replica on
/// Kubernetes (a replica set on etcd has its own duty).
///
/// - Parameter isWebhookReady: whether meshd's webhook server answers; the validating webhooks fail closed only then.
func kubernetesLeaderDuties(
    _ options: MeshdOptions, store: ConfigStore, ca: CertificateAuthority?,
    isWebhookReady: @escaping @Sendable () -> Bool, logger: Logger
) -> [any KubernetesLeaderDuty] {
    guard options.etcd?.replica == nil, let kubernetes = options.kubernetes, let replica = kubernetes.replica else {
        return []
    }
    var duties: [any KubernetesLeaderDuty] = []
    if kubernetes.configStatus {
        duties.append(
            KubernetesStatusDuty(
                store: store, kinds: kubernetes.options.kinds, interval: replica.statusInterval, logger: logger))
    }
    guard let ca else { return duties }
    let bundle: @Sendable () -> String = { ca.trustBundlePEM }
    if kubernetes.rootCertConfigMaps {
        duties.append(
            KubernetesRootCertDuty(
                rootBundle: bundle, interval: replica.statusInterval, informers: kubernetes.options, logger: logger))
    }
    let webhooks = kubernetes.webhookConfigurations ?? .init(namespace: kubernetes.namespace)
    if !webhooks.injector.isEmpty || !webhooks.validator.isEmpty {
        duties.append(
            KubernetesWebhookPatchDuty(
                configurations: webhooks, rootBundle: bundle, isWebhookReady: isWebhookReady,
                interval: replica.statusInterval, informers: kubernetes.options, logger: logger))
    }
    return duties
}

/// The shared-root check of a replica set with a self-signed CA: on etcd (`<prefix>/_ca/`), or among Kubernetes
/// replicas (`istio-ca-secret`), the same stores `Serve.shareCA` loaded the root from at start. Nil for a single
/// meshd, a plug-in CA, or no CA.
func sharedRootSync(
    _ options: MeshdOptions, ca: CertificateAuthority?, logger: Logger, onChange: @escaping @Sendable () -> Void
) -> SharedRootSync? {
    guard let ca, let security = options.security, security.pluginDirectory == nil else { return nil }
    let store: any SharedRootStore
    if let etcd = options.etcd {
        store = EtcdSharedCA.RootStore(connection: etcd.connection, layout: etcd.layout)
    } else if let kubernetes = options.kubernetes, kubernetes.replica != nil {
        store = KubernetesSharedCA.RootStore(connection: kubernetes.connection, namespace: kubernetes.namespace)
    } else {
        return nil
    }
    return SharedRootSync(
        store: store, ca: ca, stateDirectory: security.stateDirectory, interval: security.sharedRootCheckInterval,
        logger: logger, onChange: onChange)
}

/// Auto-registration in a replica set: entries go to the shared store (etcd, or the Kubernetes API) so that every
/// replica serves them. Nil for a single meshd, whose entries stay in its memory.
func sharedRegistration(_ options: MeshdOptions, replicas: ReplicaState?) -> SharedRegistration? {
    guard let replicas else { return nil }
    let live: @Sendable () -> Set<String>? = {
        let members = replicas.view().replicas
        return members.isEmpty ? nil : Set(members.map(\.record.id))
    }
    if let etcd = options.etcd, let replica = etcd.replica {
        return SharedRegistration(
            store: EtcdRegisteredEntryStore(connection: etcd.connection, layout: etcd.layout), replica: replica.id,
            liveReplicas: live)
    }
    if let kubernetes = options.kubernetes, let replica = kubernetes.replica {
        return SharedRegistration(
            store: KubernetesRegisteredEntryStore(connection: kubernetes.connection), replica: replica.id,
            liveReplicas: live)
    }
    return nil
}
