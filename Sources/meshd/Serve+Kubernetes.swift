import ArgumentParser
import EtcdClient
import Foundation
import Logging
import MeshModel
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

extension Serve {
    /// With etcd and a self-signed CA, makes the state directory hold the mesh's shared root and token key
    /// (`EtcdSharedCA`) before the CA loads, so that every replica on this etcd signs and verifies alike.
    func shareCA(_ options: MeshdOptions, logger: Logger) async throws {
        guard let etcd = options.etcd, let security = options.security, security.pluginDirectory == nil else { return }
        var trustDomain = MeshConfig.default.trustDomain
        if let path = options.meshConfigFile, let data = FileManager.default.contents(atPath: path),
            let config = MeshConfigDecoder.decode(yaml: String(decoding: data, as: UTF8.self), file: path).config
        {
            trustDomain = config.trustDomain
        }
        do {
            let outcome = try await EtcdSharedCA.share(
                connection: etcd.connection, layout: etcd.layout, stateDirectory: security.stateDirectory,
                trustDomain: trustDomain)
            logger.info(
                "shared CA in etcd",
                metadata: [
                    "outcome": "\(outcome == .created ? "created from this replica's root" : "loaded from etcd")",
                    "key": "\(etcd.layout.reservedKey("ca"))",
                ])
        } catch let error as MeshdSetupError {
            throw ValidationError("--etcd-endpoints: \(error.description)")
        } catch let error as EtcdError {
            throw ValidationError("--etcd-endpoints: shared CA: \(error)")
        }
    }
}
