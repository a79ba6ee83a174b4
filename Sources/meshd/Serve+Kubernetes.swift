import ArgumentParser
import Discovery
import Logging
import Registry

extension Serve {
    /// The Kubernetes source that `--kubeconfig`/`--context` or `--in-cluster` ask for, with one readiness condition
    /// per watched kind (met after its first complete LIST); nil without either flag.
    func kubernetesSource(
        store: ConfigStore, readiness: Readiness, metrics: SourceMetrics? = nil, logger: Logger
    ) throws -> KubernetesSource? {
        if kubeconfig != nil && inCluster {
            throw ValidationError("--kubeconfig and --in-cluster are exclusive")
        }
        if context != nil && kubeconfig == nil {
            throw ValidationError("--context needs --kubeconfig")
        }
        let connection: KubernetesConnection
        do {
            if let kubeconfig {
                connection = try Kubeconfig.load(path: kubeconfig, context: context)
            } else if inCluster {
                connection = try KubernetesConnection.inCluster()
            } else {
                if configDir == nil { throw ValidationError("give --config-dir, --kubeconfig or --in-cluster") }
                return nil
            }
        } catch let error as KubernetesError {
            throw ValidationError(error.description)
        }
        let options = KubernetesSource.Options()
        for kind in options.kinds { readiness.require("kubernetes \(kind) synced") }
        return KubernetesSource(
            connection: connection, store: store, options: options, metrics: metrics, logger: logger,
            onSynced: { kind in readiness.satisfy("kubernetes \(kind) synced") })
    }
}
