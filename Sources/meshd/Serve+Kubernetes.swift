import ArgumentParser
import MeshdApp
import Registry

extension Serve {
    /// The Kubernetes source that `--kubeconfig`/`--context` or `--in-cluster` ask for; nil without either flag.
    func kubernetesOptions() throws -> MeshdOptions.Kubernetes? {
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
                if configDir == nil && etcdOptions.etcdEndpoints == nil {
                    throw ValidationError("give --config-dir, --kubeconfig, --in-cluster or --etcd-endpoints")
                }
                return nil
            }
        } catch let error as KubernetesError {
            throw ValidationError(error.description)
        }
        return MeshdOptions.Kubernetes(connection: connection)
    }
}
