import CertificateAuthority
import Foundation
import Testing

@testable import Discovery

/// The secure port's serving certificate is re-issued at half of its lifetime, so 15012 never serves an
/// expired certificate however long meshd runs.
@Suite struct RenewingServingContextTests {
    @Test func theServingCertificateIsReissuedAtHalfOfItsLifetime() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-serving-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = CAOptions()
        options.workloadCertTTL = .seconds(3600)
        let ca = try CertificateAuthority.load(stateDirectory: directory.path, pluginDirectory: nil, options: options)
        let issuedBefore = ca.status.issuedCount
        let context = try RenewingServingContext(ca: ca, dnsNames: ["istiod.istio-system.svc"])
        let firstRenewal = context.renewAt
        // Half of one hour from now.
        #expect(abs(firstRenewal.timeIntervalSinceNow - 1800) < 60, "\(firstRenewal)")
        let first = context.current()
        #expect(context.current() === first, "no renewal before half-life")
        #expect(ca.status.issuedCount == issuedBefore + 1)

        let renewed = context.current(now: firstRenewal.addingTimeInterval(1))
        #expect(renewed !== first, "a new context after half-life")
        #expect(ca.status.issuedCount == issuedBefore + 2, "a new serving certificate was issued")
        #expect(context.renewAt > firstRenewal)
    }
}
