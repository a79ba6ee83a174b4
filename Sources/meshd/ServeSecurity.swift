import ArgumentParser
import CertificateAuthority
import Discovery
import GRPCCore
import Logging
import MeshModel
import Registry
import ServiceLifecycle
import XDSServer

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

    @Option(name: .long, help: "Where xDS over TLS (and the CSR API) listens: HOST:PORT or unix:PATH; empty to disable.")
    var secureXdsAddress: String = "127.0.0.1:15012"

    @Flag(
        name: .long,
        help: "INSECURE, development only: trust NAMESPACE/SERVICE_ACCOUNT of proxies that send no credentials. Only for callers on a UNIX socket or 127.0.0.1.")
    var insecureTrustNodeMetadata = false

    @Flag(
        name: .long,
        help: "Kubernetes mode: accept proxies' service-account tokens (audience istio-ca) checked with the API server's TokenReview.")
    var kubernetesTokenReview = false

    /// Refuses the development flag unless the plaintext xDS server is only reachable locally.
    func validate(xds: ListenAddress) throws {
        guard insecureTrustNodeMetadata else { return }
        switch xds {
        case .unix: return
        case .tcp(let host, _) where host == "127.0.0.1" || host == "::1": return
        case .tcp: throw ValidationError("--insecure-trust-node-metadata needs --xds-address on 127.0.0.1 or a unix: socket")
        }
    }

    /// Loads (or creates) the CA and builds what the provider and the gRPC servers need.
    /// TokenReview asks the API server of `kubeconfig` (and `context`) when given, else the one meshd runs in.
    func makeSecurity(
        logger: Logger, kubeconfig: String? = nil, context: String? = nil, trustDomain: String = MeshDefaults.trustDomain
    ) throws -> (security: ProxySecurity, ca: CertificateAuthority, ttl: Duration) {
        guard let ttl = Token.parseDuration(workloadCertTtl), ttl > .zero else {
            throw ValidationError("--workload-cert-ttl: expected a duration such as 24h or 60s, got \"\(workloadCertTtl)\"")
        }
        guard let maxTokenLifetime = Token.parseDuration(maxTokenTtl), maxTokenLifetime > .zero else {
            throw ValidationError("--max-token-ttl: expected a positive duration such as 24h, got \"\(maxTokenTtl)\"")
        }
        var options = CAOptions()
        options.trustDomain = trustDomain
        options.workloadCertTTL = ttl
        options.maxTokenLifetime = maxTokenLifetime
        let ca: CertificateAuthority
        do {
            ca = try CertificateAuthority.load(stateDirectory: stateDir, pluginDirectory: caDir, options: options)
        } catch {
            throw ValidationError("certificate authority: \(error)")
        }
        if insecureTrustNodeMetadata {
            logger.critical(
                "INSECURE DEVELOPMENT MODE: --insecure-trust-node-metadata lets local proxies without credentials claim any identity")
        }
        var authenticator = ProxyAuthenticator(
            ca: ca, trustDomain: options.trustDomain, trustNodeMetadata: insecureTrustNodeMetadata, logger: logger)
        if kubernetesTokenReview {
            authenticator.tokenReview = try makeTokenReviewer(
                kubeconfig: kubeconfig, context: context, trustDomain: options.trustDomain)
        }
        let security = ProxySecurity(authenticator: authenticator, certificates: WorkloadCertificates(ca: ca, ttl: ttl))
        return (security, ca, ttl)
    }

    /// The services security adds: certificate rotation and, unless disabled, the TLS xDS server.
    func services(
        security: ProxySecurity, ca: CertificateAuthority, provider: MeshResourceProvider,
        ads: ADSServer<MeshResourceProvider>, readiness: Readiness, csr: CertificateService, transport: XDSTransportSettings,
        logger: Logger
    ) throws -> [any Service] {
        var services: [any Service] = [
            CertificateRotationService(certificates: security.certificates, ads: ads, logger: logger)
        ]
        if let reviewer = security.authenticator.tokenReview { services.append(reviewer) }
        if !secureXdsAddress.isEmpty {
            guard let address = ListenAddress(secureXdsAddress) else {
                throw ValidationError("--secure-xds-address: expected HOST:PORT or unix:PATH, got \"\(secureXdsAddress)\"")
            }
            let tls = try ServingTLS.transportSecurity(ca: ca)
            services.append(
                XDSGRPCService(
                    address: address, provider: provider, ads: ads, readiness: readiness, transportSecurity: tls,
                    extraServices: [csr], interceptors: security.authenticator.interceptors,
                    clientCertificates: try ServingTLS.clientCertificates(ca: ca), transport: transport, logger: logger))
        }
        return services
    }

    /// The TokenReview client, talking to the API server of `kubeconfig` or, by default, of the pod meshd runs in.
    func makeTokenReviewer(kubeconfig: String?, context: String?, trustDomain: String) throws -> TokenReviewer {
        do {
            let connection =
                if let kubeconfig { try Kubeconfig.load(path: kubeconfig, context: context) } else {
                    try KubernetesConnection.inCluster()
                }
            return TokenReviewer(transport: try HTTPTokenReviewTransport(connection: connection), trustDomain: trustDomain)
        } catch {
            throw ValidationError("--kubernetes-token-review: \(error)")
        }
    }
}
