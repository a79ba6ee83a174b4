public import CertificateAuthority
public import Foundation
import Synchronization

/// The workload certificates meshd has issued for SDS, one per identity, re-issued once past half of their
/// lifetime. Keys stay in memory only. Thread-safe.
public final class WorkloadCertificates: Sendable {
    let ca: CertificateAuthority
    let ttl: Duration?
    private let issued = Mutex<[SPIFFEIdentity: IssuedCertificate]>([:])

    /// `ttl` nil uses the CA's default workload TTL.
    public init(ca: CertificateAuthority, ttl: Duration? = nil) {
        self.ca = ca
        self.ttl = ttl
    }

    /// The trust bundle for `ROOTCA`.
    public var trustBundlePEM: String { ca.trustBundlePEM }

    /// The current certificate of `identity`, issuing one when there is none or the cached one is past
    /// half-life. Nil (and nothing cached) when the CA refuses.
    public func certificate(for identity: SPIFFEIdentity, now: Date = Date()) -> IssuedCertificate? {
        if let cached = issued.withLock({ $0[identity] }), !Self.isDue(cached, now: now) { return cached }
        guard let fresh = try? ca.issueWorkloadCertificate(for: identity, ttl: ttl) else { return nil }
        issued.withLock { $0[identity] = fresh }
        return fresh
    }

    /// Re-issues every cached certificate past half-life; true when any was replaced (proxies need a push).
    public func rotateDue(now: Date = Date()) -> Bool {
        let due = issued.withLock { $0.filter { Self.isDue($0.value, now: now) }.map(\.key) }
        var rotated = false
        for identity in due {
            guard let fresh = try? ca.issueWorkloadCertificate(for: identity, ttl: ttl) else { continue }
            issued.withLock { $0[identity] = fresh }
            rotated = true
        }
        return rotated
    }

    /// When the next cached certificate reaches half-life; nil when none is cached.
    public var nextRotation: Date? {
        issued.withLock { $0.values.map(Self.halfLife).min() }
    }

    static func halfLife(_ certificate: IssuedCertificate) -> Date {
        certificate.notBefore.addingTimeInterval(certificate.notAfter.timeIntervalSince(certificate.notBefore) / 2)
    }

    static func isDue(_ certificate: IssuedCertificate, now: Date) -> Bool { now >= halfLife(certificate) }
}
