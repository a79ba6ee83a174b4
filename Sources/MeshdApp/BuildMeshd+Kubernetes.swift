import Logging
import Registry

/// The replica's membership of the replica set on Kubernetes: registry and leader Leases in the meshd namespace,
/// and the status duty (each Istio object's validation status on its `status` subresource).
func kubernetesReplicaService(
    _ kubernetes: MeshdOptions.Kubernetes, replica: MeshdOptions.Replica, state: ReplicaState, store: ConfigStore,
    record: @escaping @Sendable () -> ReplicaRecord?, logger: Logger
) -> KubernetesReplicaService {
    var options = KubernetesReplicaService.Options(
        namespace: kubernetes.namespace, leaseDuration: replica.service.leaseTTL)
    options.retryDelay = replica.service.retryDelay
    let duty = KubernetesStatusDuty(
        store: store, kinds: kubernetes.options.kinds, interval: replica.statusInterval, logger: logger)
    return KubernetesReplicaService(
        connection: kubernetes.connection, state: state, options: options, duties: [duty], logger: logger,
        record: record)
}
