import CertificateAuthority
import Foundation
import Testing
import X509

@Suite("CSR signing")
struct CSRSigningTests {
    let identity = SPIFFEIdentity(namespace: "default", serviceAccount: "reviews")

    @Test("a CSR for the caller's identity is signed: leaf first, then the root, chain verifies")
    func signsOwnIdentity() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let pems = try ca.sign(csrPEM: TestPKI.makeCSR(uri: identity.uri), for: identity, ttl: nil)
        let chain = try pems.flatMap(TestPKI.certificates(inPEM:))
        #expect(chain.count == 2)
        #expect(try TestPKI.uriSANs(of: chain[0]) == [identity.uri])
        #expect(try ca.verifyClientChain(chain) == identity)
        #expect(ca.status.csrCount == 1 && ca.status.issuedCount == 1)
    }

    @Test("a CSR's validity is capped at 90 days")
    func csrTTLCapped() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let pems = try ca.sign(csrPEM: TestPKI.makeCSR(uri: identity.uri), for: identity, ttl: .seconds(1000 * 86_400))
        let leaf = try #require(try TestPKI.certificates(inPEM: pems[0]).first)
        #expect(leaf.notValidAfter.timeIntervalSinceNow <= 90 * 86_400 + 1)
    }

    @Test("a CSR for another identity is refused as permission denied")
    func otherIdentityRefused() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let csr = try TestPKI.makeCSR(uri: "spiffe://cluster.local/ns/default/sa/admin")
        #expect {
            try ca.sign(csrPEM: csr, for: identity, ttl: nil)
        } throws: { error in
            (error as? CAError)?.isPermissionDenied == true && "\(error)".contains("sa/admin")
        }
        // Extra names next to the right one are refused too, so a workload cannot obtain a serving name.
        let extra = try TestPKI.makeCSR(sans: [
            .uniformResourceIdentifier(identity.uri), .dnsName("istiod.istio-system.svc"),
        ])
        #expect(throws: CAError.self) { try ca.sign(csrPEM: extra, for: identity, ttl: nil) }
        let none = try TestPKI.makeCSR(sans: [])
        #expect(throws: CAError.self) { try ca.sign(csrPEM: none, for: identity, ttl: nil) }
        #expect(ca.status.csrCount == 3 && ca.status.issuedCount == 0)
    }

    @Test("a malformed CSR is refused as invalid")
    func malformedRefused() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let good = try TestPKI.makeCSR(uri: identity.uri)
        var lines = good.split(separator: "\n").map(String.init)
        lines[2] = String(lines[2].reversed())
        let corrupted = lines.joined(separator: "\n")
        for bad in [
            "", "hello", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", corrupted,
        ] {
            #expect {
                try ca.sign(csrPEM: bad, for: identity, ttl: nil)
            } throws: { error in
                (error as? CAError).map { !$0.isPermissionDenied && $0.field == "csr" } ?? false
            }
        }
    }

    private func makeCA() throws -> (CertificateAuthority, TemporaryDirectory) {
        let state = try TemporaryDirectory()
        return (
            try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions()), state
        )
    }
}
