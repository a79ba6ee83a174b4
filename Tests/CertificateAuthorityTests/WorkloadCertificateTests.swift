import CertificateAuthority
import Crypto
import Foundation
import Testing
import X509
import _CryptoExtras

@Suite("Workload and serving certificates")
struct WorkloadCertificateTests {
    let identity = SPIFFEIdentity(namespace: "default", serviceAccount: "bookinfo")

    @Test("a workload certificate has exactly the SPIFFE URI, client and server auth, is no CA, and lives 24 h")
    func workloadCertificateShape() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let issued = try ca.issueWorkloadCertificate(for: identity)
        let leaf = try #require(try TestPKI.certificates(inPEM: issued.certificateChainPEM).first)
        #expect(try TestPKI.uriSANs(of: leaf) == ["spiffe://cluster.local/ns/default/sa/bookinfo"])
        #expect(try leaf.extensions.subjectAlternativeNames?.count == 1)
        let usage = try #require(try leaf.extensions.extendedKeyUsage)
        #expect(usage.contains(.serverAuth) && usage.contains(.clientAuth))
        let keyUsage = try #require(try leaf.extensions.keyUsage)
        #expect(keyUsage.digitalSignature && keyUsage.keyEncipherment && !keyUsage.keyCertSign)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(leaf.notValidBefore < Date().addingTimeInterval(-60), "notBefore allows for clock skew")
        let lifetime = leaf.notValidAfter.timeIntervalSinceNow
        #expect(abs(lifetime - 24 * 3600) < 120)
        #expect(issued.notAfter == leaf.notValidAfter)
        #expect(issued.serialNumber == leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined())
        #expect(issued.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let key = try P256.Signing.PrivateKey(pemRepresentation: issued.privateKeyPEM)
        #expect(Certificate.PublicKey(key.publicKey) == leaf.publicKey)
        #expect(!"\(issued)".contains("PRIVATE KEY"), "the description must not show the key")
    }

    @Test("asking for 1000 days gives at most the 90-day maximum")
    func ttlIsCapped() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let issued = try ca.issueWorkloadCertificate(for: identity, ttl: .seconds(1000 * 86_400))
        #expect(issued.notAfter.timeIntervalSinceNow <= 90 * 86_400 + 1)
        #expect(issued.notAfter.timeIntervalSinceNow > 89 * 86_400)
        let short = try ca.issueWorkloadCertificate(for: identity, ttl: .seconds(60))
        #expect(abs(short.notAfter.timeIntervalSinceNow - 60) < 5)
    }

    @Test("the RSA option makes RSA 2048 keys, for the root and the leaves")
    func rsaOption() throws {
        var options = CAOptions()
        options.keyAlgorithm = .rsa2048
        let (ca, state) = try makeCA(options)
        defer { state.remove() }
        let issued = try ca.issueWorkloadCertificate(for: identity)
        #expect(issued.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"), "PKCS#8, not PKCS#1")
        let chain = try TestPKI.certificates(inPEM: issued.certificateChainPEM)
        let key = try #require(_RSA.Signing.PublicKey(chain[0].publicKey))
        #expect(key.keySizeInBits == 2048)
        #expect(try ca.verifyClientChain(chain) == identity)
    }

    @Test("the serving certificate carries the DNS names, istiod's among the defaults, for server auth only")
    func servingCertificate() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let issued = try ca.issueServingCertificate()
        let leaf = try #require(try TestPKI.certificates(inPEM: issued.certificateChainPEM).first)
        let names = try #require(try leaf.extensions.subjectAlternativeNames).compactMap { name -> String? in
            if case .dnsName(let dns) = name { return dns }
            return nil
        }
        #expect(names.contains("istiod.istio-system.svc"))
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.clientAuth) == false)
        let custom = try ca.issueServingCertificate(dnsNames: ["meshd.example"])
        let customLeaf = try #require(try TestPKI.certificates(inPEM: custom.certificateChainPEM).first)
        #expect(try customLeaf.extensions.subjectAlternativeNames?.first == .dnsName("meshd.example"))
    }

    @Test("an identity outside the trust domain is refused")
    func otherTrustDomainRefused() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        #expect(throws: CAError.self) {
            try ca.issueWorkloadCertificate(
                for: SPIFFEIdentity(trustDomain: "evil.org", namespace: "a", serviceAccount: "b"))
        }
    }

    @Test("SPIFFE URIs parse, and malformed ones are refused")
    func spiffeParsing() throws {
        let parsed = try SPIFFEIdentity(uri: "spiffe://cluster.local/ns/default/sa/bookinfo")
        #expect(parsed == identity)
        #expect(parsed.uri == "spiffe://cluster.local/ns/default/sa/bookinfo")
        for bad in [
            "http://cluster.local/ns/a/sa/b", "spiffe://cluster.local/ns/a", "spiffe://td/ns//sa/b",
            "spiffe://td/ns/a/sa/b/extra", "spiffe://td/sa/a/ns/b", "spiffe://td/ns/a b/sa/c",
        ] {
            #expect(throws: CAError.self, "\(bad)") { try SPIFFEIdentity(uri: bad) }
        }
    }

    private func makeCA(_ options: CAOptions = CAOptions()) throws -> (CertificateAuthority, TemporaryDirectory) {
        let state = try TemporaryDirectory()
        return (
            try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: options), state
        )
    }
}
