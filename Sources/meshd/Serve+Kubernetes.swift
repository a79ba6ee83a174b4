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
        guard let security = options.security, security.pluginDirectory == nil else { return }
        var trustDomain = MeshConfig.default.trustDomain
        if let path = options.meshConfigFile, let data = FileManager.default.contents(atPath: path),
            let config = MeshConfigDecoder.decode(yaml: String(decoding: data, as: UTF8.self), file: path).config
        {
            trustDomain = config.trustDomain
        }
        guard let etcd = options.etcd else {
            if let kubernetes = options.kubernetes, kubernetes.replica != nil {
                try await shareCA(
                    on: kubernetes, stateDirectory: security.stateDirectory, trustDomain: trustDomain, logger: logger)
            }
            return
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

extension Serve {
    /// With a Kubernetes replica set and a self-signed CA: the shared root and token key in `istio-ca-secret`
    /// (`KubernetesSharedCA`), copied into the state directory before the CA loads. An API server that cannot be
    /// reached is retried (1 s, doubling to 8 s) for `caWait`; a refusal or a broken Secret is fatal at once.
    func shareCA(
        on kubernetes: MeshdOptions.Kubernetes, stateDirectory: String, trustDomain: String, logger: Logger,
        caWait: Duration = .seconds(60)
    ) async throws {
        do {
            let deadline = ContinuousClock.now + caWait
            var pause = Duration.seconds(1)
            var outcome: KubernetesSharedCA.Outcome?
            while outcome == nil {
                do {
                    outcome = try await KubernetesSharedCA.share(
                        connection: kubernetes.connection, namespace: kubernetes.namespace,
                        stateDirectory: stateDirectory, trustDomain: trustDomain)
                } catch let error where !(error is MeshdSetupError) && !(error is KubernetesError) {
                    // I/O: the API server is not reachable (yet).
                    guard ContinuousClock.now + pause < deadline else { throw error }
                    logger.warning("shared CA: \(error); retrying in \(pause)")
                    try await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(8))
                }
            }
            guard let outcome else { return }
            logger.info(
                "shared CA in Kubernetes",
                metadata: [
                    "outcome": "\(outcome == .created ? "created from this replica's root" : "loaded from the Secret")",
                    "secret": "\(kubernetes.namespace)/\(KubernetesSharedCA.secretName)",
                ])
        } catch let error as MeshdSetupError {
            throw ValidationError("--kubeconfig/--in-cluster: \(error.description)")
        } catch let error as KubernetesError {
            throw ValidationError("--kubeconfig/--in-cluster: shared CA: \(error)")
        } catch {
            throw ValidationError("--kubeconfig/--in-cluster: shared CA: \(error)")
        }
    }
}
