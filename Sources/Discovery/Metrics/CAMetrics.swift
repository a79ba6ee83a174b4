public import CertificateAuthority
public import CoreMetrics
import Synchronization

/// The CA's figures as Istio names them, read from `CAStatus` whenever metrics are scraped. Never exposes
/// key material. Thread-safe.
public final class CAMetrics: Sendable {
    private let ca: CertificateAuthority
    private let csrCount: Counter
    private let issuedCount: Counter
    private let rootExpiry: Gauge
    private let chainExpiry: Gauge
    private let trustedRoots: Gauge
    private let reported = Mutex<(csr: Int, issued: Int)>((0, 0))

    public init(ca: CertificateAuthority, factory: any MetricsFactory) {
        self.ca = ca
        csrCount = Counter(label: "citadel_server_csr_count", factory: factory)
        issuedCount = Counter(label: "citadel_server_success_cert_issuance_count", factory: factory)
        rootExpiry = Gauge(label: "citadel_server_root_cert_expiry_timestamp", factory: factory)
        chainExpiry = Gauge(label: "citadel_server_cert_chain_expiry_timestamp", factory: factory)
        trustedRoots = Gauge(label: "meshd_ca_trusted_roots", factory: factory)
    }

    /// Brings the metrics up to date with the CA; call before emitting.
    public func refresh() {
        let status = ca.status
        rootExpiry.record(status.rootNotAfter.timeIntervalSince1970)
        chainExpiry.record(status.signingCertNotAfter.timeIntervalSince1970)
        trustedRoots.record(status.trustedRootCount)
        let (csrDelta, issuedDelta) = reported.withLock { last in
            let delta = (max(0, status.csrCount - last.csr), max(0, status.issuedCount - last.issued))
            last = (status.csrCount, status.issuedCount)
            return delta
        }
        if csrDelta > 0 { csrCount.increment(by: csrDelta) }
        if issuedDelta > 0 { issuedCount.increment(by: issuedDelta) }
    }

    /// Expiry dates for status pages.
    public var status: CAStatus { ca.status }

    /// The CA these figures describe, for operator actions such as a root rotation.
    public var authority: CertificateAuthority { ca }
}
