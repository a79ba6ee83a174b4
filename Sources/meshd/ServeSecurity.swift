import ArgumentParser
import Discovery
import MeshdApp
import Registry

/// `meshd serve`'s security options: the CA, workload certificate lifetime, the TLS xDS port, and the
/// development escape hatch for unauthenticated proxies.
struct ServeSecurityOptions: ParsableArguments {
    @Option(name: .long, help: "Directory where the self-signed root CA is kept (created on first start).")
    var stateDir: String = ".meshd-state"

    @Option(name: .long, help: "Plug-in CA directory (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem).")
    var caDir: String?

    @Option(name: .long, help: "Lifetime of workload certificates, such as 24h or 60s; re-issued at half of it.")
    var workloadCertTtl: String = "24h"

    @Option(
        name: .long,
        help: "Bootstrap tokens whose lifetime (exp - iat) exceeds this are refused, whoever signed them.")
    var maxTokenTtl: String = "24h"

    @Option(
        name: .long, help: "Where xDS over TLS (and the CSR API) listens: HOST:PORT or unix:PATH; empty to disable.")
    var secureXdsAddress: String = "127.0.0.1:15012"

    @Option(
        name: .long,
        help:
            "In a replica set with a self-signed CA (etcd, or Kubernetes replicas): how often the shared root is checked, so a rotation made on another replica is adopted, such as 10s.")
    var sharedRootCheckInterval: String = "10s"

    @Flag(
        name: .long,
        help:
            "INSECURE, development only: trust NAMESPACE/SERVICE_ACCOUNT of proxies that send no credentials. Only for callers on a UNIX socket or 127.0.0.1."
    )
    var insecureTrustNodeMetadata = false

    @Flag(
        name: .long,
        help:
            "Kubernetes mode: accept proxies' service-account tokens (audience istio-ca) checked with the API server's TokenReview."
    )
    var kubernetesTokenReview = false

    /// Refuses the development flag unless the plaintext xDS server is only reachable locally.
    func validate(xds: ListenAddress) throws {
        guard insecureTrustNodeMetadata else { return }
        switch xds {
        case .unix: return
        case .tcp(let host, _) where host == "127.0.0.1" || host == "::1": return
        case .tcp:
            throw ValidationError("--insecure-trust-node-metadata needs --xds-address on 127.0.0.1 or a unix: socket")
        }
    }

    /// The security options of the daemon, or a validation error naming the flag. TokenReview asks the API server of
    /// `kubeconfig` (and `context`) when given, else the one meshd runs in.
    func options(kubeconfig: String?, context: String?) throws -> MeshdOptions.Security {
        guard let ttl = Token.parseDuration(workloadCertTtl), ttl > .zero else {
            throw ValidationError(
                "--workload-cert-ttl: expected a duration such as 24h or 60s, got \"\(workloadCertTtl)\"")
        }
        guard let maxTokenLifetime = Token.parseDuration(maxTokenTtl), maxTokenLifetime > .zero else {
            throw ValidationError("--max-token-ttl: expected a positive duration such as 24h, got \"\(maxTokenTtl)\"")
        }
        let checkInterval = try ServePushOptions.duration(sharedRootCheckInterval, flag: "--shared-root-check-interval")
        guard checkInterval > .zero else { throw ValidationError("--shared-root-check-interval must be above 0") }
        var secureAddress: ListenAddress?
        if !secureXdsAddress.isEmpty {
            guard let address = ListenAddress(secureXdsAddress) else {
                throw ValidationError(
                    "--secure-xds-address: expected HOST:PORT or unix:PATH, got \"\(secureXdsAddress)\"")
            }
            secureAddress = address
        }
        var security = MeshdOptions.Security(
            stateDirectory: stateDir, pluginDirectory: caDir, workloadCertTTL: ttl, maxTokenLifetime: maxTokenLifetime,
            secureXDSAddress: secureAddress, trustNodeMetadata: insecureTrustNodeMetadata,
            tokenReview: kubernetesTokenReview
                ? try tokenReviewConnection(kubeconfig: kubeconfig, context: context) : nil)
        security.sharedRootCheckInterval = checkInterval
        return security
    }

    /// The API server TokenReview asks: that of `kubeconfig` or, by default, of the pod meshd runs in.
    func tokenReviewConnection(kubeconfig: String?, context: String?) throws -> KubernetesConnection {
        do {
            if let kubeconfig { return try Kubeconfig.load(path: kubeconfig, context: context) }
            return try KubernetesConnection.inCluster()
        } catch {
            throw ValidationError("--kubernetes-token-review: \(error)")
        }
    }
}
