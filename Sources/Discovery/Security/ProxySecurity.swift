public import CertificateAuthority
import Foundation
import MeshModel
import XDSServer
import XDSTranslator

/// What the provider needs to authenticate proxies and hand each its own secrets: the authenticator and the
/// workload certificates. Thread-safe.
public struct ProxySecurity: Sendable {
    public let authenticator: ProxyAuthenticator
    public let certificates: WorkloadCertificates

    public init(authenticator: ProxyAuthenticator, certificates: WorkloadCertificates) {
        self.authenticator = authenticator
        self.certificates = certificates
    }

    /// The identity `proxy` proves on `peer`; its node must claim the same namespace and service account.
    func authenticate(_ proxy: Proxy, peer: PeerInfo) throws -> WorkloadIdentity {
        let claimed = SPIFFEIdentity(
            trustDomain: authenticator.trustDomain, namespace: proxy.namespace,
            serviceAccount: proxy.serviceAccount ?? "default")
        let proven = try authenticator.identity(of: peer, claimed: claimed)
        return WorkloadIdentity(
            trustDomain: proven.trustDomain, namespace: proven.namespace, serviceAccount: proven.serviceAccount)
    }

    /// The SDS secrets of `identity` and nobody else: its own certificate and the trust bundle.
    func secrets(for identity: WorkloadIdentity) -> ProxySecrets {
        let spiffe = SPIFFEIdentity(
            trustDomain: identity.trustDomain, namespace: identity.namespace, serviceAccount: identity.serviceAccount)
        let certificate = certificates.certificate(for: spiffe)
        return ProxySecrets(
            certificateChainPEM: certificate?.certificateChainPEM, privateKeyPEM: certificate?.privateKeyPEM,
            trustBundlePEM: certificates.trustBundlePEM)
    }
}
