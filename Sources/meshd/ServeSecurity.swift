import ArgumentParser
import CertificateAuthority
import Discovery
import GRPCCore
import Logging
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

    @Option(name: .long, help: "Where xDS over TLS (and the CSR API) listens: HOST:PORT or unix:PATH; empty to disable.")
    var secureXdsAddress: String = "127.0.0.1:15012"

    @Flag(
        name: .long,
        help: "INSECURE, development only: trust NAMESPACE/SERVICE_ACCOUNT of proxies that send no credentials. Only for callers on a UNIX socket or 127.0.0.1.")
    var insecureTrustNodeMetadata = false

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
    func makeSecurity(logger: Logger) throws -> (security: ProxySecurity, ca: CertificateAuthority, ttl: Duration) {
        guard let ttl = Token.parseDuration(workloadCertTtl), ttl > .zero else {
            throw ValidationError("--workload-cert-ttl: expected a duration such as 24h or 60s, got \"\(workloadCertTtl)\"")
        }
        var options = CAOptions()
        options.workloadCertTTL = ttl
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
        let authenticator = ProxyAuthenticator(
            ca: ca, trustDomain: options.trustDomain, trustNodeMetadata: insecureTrustNodeMetadata, logger: logger)
        let security = ProxySecurity(authenticator: authenticator, certificates: WorkloadCertificates(ca: ca, ttl: ttl))
        return (security, ca, ttl)
    }

    /// The services security adds: certificate rotation and, unless disabled, the TLS xDS server.
    func services(
        security: ProxySecurity, ca: CertificateAuthority, provider: MeshResourceProvider,
        ads: ADSServer<MeshResourceProvider>, readiness: Readiness, csr: CertificateService, logger: Logger
    ) throws -> [any Service] {
        var services: [any Service] = [
            CertificateRotationService(certificates: security.certificates, ads: ads, logger: logger)
        ]
        if !secureXdsAddress.isEmpty {
            guard let address = ListenAddress(secureXdsAddress) else {
                throw ValidationError("--secure-xds-address: expected HOST:PORT or unix:PATH, got \"\(secureXdsAddress)\"")
            }
            let tls = try ServingTLS.transportSecurity(ca: ca)
            services.append(
                XDSGRPCService(
                    address: address, provider: provider, ads: ads, readiness: readiness, transportSecurity: tls,
                    extraServices: [csr], logger: logger))
        }
        return services
    }
}
