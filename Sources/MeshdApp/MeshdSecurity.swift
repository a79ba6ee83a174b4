import CertificateAuthority
import Discovery
import GRPCCore
import Logging
import Registry
import ServiceLifecycle
import XDSServer

/// The security half of the daemon: the CA, proxy authentication (with TokenReview in Kubernetes mode), the CSR
/// service, and the services they add.
struct MeshdSecurity: Sendable {
    let options: MeshdOptions.Security
    let ca: CertificateAuthority
    let proxies: ProxySecurity
    let csr: CertificateService
    let logger: Logger

    /// Loads (or creates) the CA in `trustDomain` and builds what the provider and the gRPC servers need.
    init(options: MeshdOptions.Security, trustDomain: String, logger: Logger) throws {
        var caOptions = CAOptions()
        caOptions.trustDomain = trustDomain
        caOptions.workloadCertTTL = options.workloadCertTTL
        caOptions.maxTokenLifetime = options.maxTokenLifetime
        let ca: CertificateAuthority
        do {
            ca = try CertificateAuthority.load(
                stateDirectory: options.stateDirectory, pluginDirectory: options.pluginDirectory, options: caOptions)
        } catch {
            throw MeshdSetupError("certificate authority: \(error)")
        }
        if options.trustNodeMetadata {
            logger.critical(
                "INSECURE DEVELOPMENT MODE: --insecure-trust-node-metadata lets local proxies without credentials claim any identity"
            )
        }
        var authenticator = ProxyAuthenticator(
            ca: ca, trustDomain: trustDomain, trustNodeMetadata: options.trustNodeMetadata, logger: logger)
        if let connection = options.tokenReview {
            do {
                authenticator.tokenReview = TokenReviewer(
                    transport: try HTTPTokenReviewTransport(connection: connection), trustDomain: trustDomain)
            } catch {
                throw MeshdSetupError("--kubernetes-token-review: \(error)")
            }
        }
        self.options = options
        self.ca = ca
        self.proxies = ProxySecurity(
            authenticator: authenticator, certificates: WorkloadCertificates(ca: ca, ttl: options.workloadCertTTL))
        self.csr = CertificateService(ca: ca, authenticate: authenticator.csrAuthenticator)
        self.logger = logger
    }

    /// Run before every xDS and CSR call: the TokenReview pre-check in Kubernetes mode, none otherwise.
    var interceptors: [any ServerInterceptor] { proxies.authenticator.interceptors }

    /// Certificate rotation, the TokenReview client (closed at shutdown) and, unless disabled, the TLS xDS server.
    func services(
        provider: MeshResourceProvider, ads: ADSServer<MeshResourceProvider>, readiness: Readiness,
        transport: XDSTransportSettings, listening: ListeningAddresses
    ) throws -> [any Service] {
        var services: [any Service] = [
            CertificateRotationService(certificates: proxies.certificates, ads: ads, logger: logger)
        ]
        if let reviewer = proxies.authenticator.tokenReview { services.append(reviewer) }
        if let address = options.secureXDSAddress {
            let transportSecurity = try ServingTLS.transportSecurity(ca: ca)
            services.append(
                XDSGRPCService(
                    address: address, provider: provider, ads: ads, readiness: readiness,
                    transportSecurity: transportSecurity, extraServices: [csr], interceptors: interceptors,
                    clientCertificates: try ServingTLS.clientCertificates(ca: ca), transport: transport, logger: logger,
                    onListening: { listening.record($0, for: .secureXDS) }))
        }
        return services
    }
}
