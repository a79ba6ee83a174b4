public import CertificateAuthority
public import Foundation
import Synchronization

/// The workload certificates meshd has issued for SDS, one per identity, re-issued once past half of their
/// lifetime. Keys stay in memory only. Thread-safe.
///
/// Half-life is measured from the moment of issue, not from `notBefore`: the CA back-dates `notBefore` by its
/// clock-skew allowance (5 minutes), so with a short TTL (60 s) half of `notAfter - notBefore` lies in the past
/// and every certificate would be due the moment it was issued.
public final class WorkloadCertificates: Sendable {
    let ca: CertificateAuthority
    let ttl: Duration?
    private let issued = Mutex<[SPIFFEIdentity: Entry]>([:])

    /// One issued certificate and when it was issued.
    struct Entry: Sendable {
        var certificate: IssuedCertificate
        var issuedAt: Date

        /// Half-way between issue and expiry: when the certificate is re-issued.
        var halfLife: Date {
            issuedAt.addingTimeInterval(max(0, certificate.notAfter.timeIntervalSince(issuedAt)) / 2)
        }
    }

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
        if let cached = issued.withLock({ $0[identity] }), now < cached.halfLife { return cached.certificate }
        return issue(identity, now: now)
    }

    /// Re-issues every cached certificate past half-life; true when any was replaced (proxies need a push).
    public func rotateDue(now: Date = Date()) -> Bool {
        let due = issued.withLock { $0.filter { now >= $0.value.halfLife }.map(\.key) }
        var rotated = false
        for identity in due where issue(identity, now: now) != nil { rotated = true }
        return rotated
    }

    /// When the next cached certificate reaches half-life; nil when none is cached.
    public var nextRotation: Date? {
        issued.withLock { $0.values.map(\.halfLife).min() }
    }

    private func issue(_ identity: SPIFFEIdentity, now: Date) -> IssuedCertificate? {
        guard let fresh = try? ca.issueWorkloadCertificate(for: identity, ttl: ttl) else { return nil }
        issued.withLock { $0[identity] = Entry(certificate: fresh, issuedAt: now) }
        return fresh
    }
}
