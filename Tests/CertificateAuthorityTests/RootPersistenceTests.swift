import CertificateAuthority
import Foundation
import Testing

@Suite("Self-signed root persistence")
struct RootPersistenceTests {
    @Test("the root is generated on first start, its key written with mode 0600, and reused on restart")
    func rootIsPersistedAndReused() throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        let first = try CertificateAuthority.load(
            stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        let attributes = try FileManager.default.attributesOfItem(atPath: state.file("root-key.pem"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let tokenKey = try FileManager.default.attributesOfItem(atPath: state.file("token-key.pem"))
        #expect((tokenKey[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: state.path).filter {
            $0.hasSuffix(".tmp") || $0.hasSuffix(".next")
        }
        #expect(leftovers.isEmpty)

        let second = try CertificateAuthority.load(
            stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        #expect(first.trustBundlePEM == second.trustBundlePEM)
        // A leaf issued after the restart verifies against the bundle from before it.
        let leaf = try second.issueWorkloadCertificate(for: SPIFFEIdentity(namespace: "default", serviceAccount: "app"))
        let chain = try TestPKI.certificates(inPEM: leaf.certificateChainPEM)
        #expect(try first.verifyClientChain(chain).uri == "spiffe://cluster.local/ns/default/sa/app")
    }

    @Test("the root is self-signed, a CA, and valid for ten years by default")
    func rootShape() throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        let ca = try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        let roots = try TestPKI.certificates(inPEM: ca.trustBundlePEM)
        try #require(roots.count == 1)
        #expect(roots[0].issuer == roots[0].subject)
        let years = roots[0].notValidAfter.timeIntervalSinceNow / (365 * 86_400)
        #expect(years > 9.9 && years <= 10.01)
        #expect(!ca.status.isPluginCA)
        #expect(ca.status.rootNotAfter == roots[0].notValidAfter)
    }

    @Test("a root key that does not match the root certificate is refused, naming the file")
    func mismatchedRootKeyRefused() throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        _ = try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        let other = try TestPKI.makeCA(name: "other")
        try other.keyPEM.write(toFile: state.file("root-key.pem"), atomically: true, encoding: .utf8)
        #expect {
            try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        } throws: { error in
            "\(error)".contains("root-key.pem") && "\(error)".contains("does not match")
        }
    }
}
