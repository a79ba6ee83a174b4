import CertificateAuthority
import Foundation
import Testing
import X509

@Suite("Plug-in CA")
struct PluginCATests {
    @Test("signs with the intermediate and serves leaf then intermediate; the bundle holds the plug-in root")
    func signsWithIntermediate() throws {
        let plugin = try PluginDirectory()
        let state = try TemporaryDirectory()
        defer {
            plugin.directory.remove()
            state.remove()
        }
        let ca = try CertificateAuthority.load(
            stateDirectory: state.path, pluginDirectory: plugin.path, options: CAOptions())

        let issued = try ca.issueWorkloadCertificate(for: SPIFFEIdentity(namespace: "shop", serviceAccount: "cart"))
        let chain = try TestPKI.certificates(inPEM: issued.certificateChainPEM)
        try #require(chain.count == 2)
        #expect(chain[0].issuer == plugin.intermediate.certificate.subject)
        #expect(plugin.intermediate.certificate.publicKey.isValidSignature(chain[0].signature, for: chain[0]))
        #expect(chain[1] == plugin.intermediate.certificate)
        #expect(try TestPKI.certificates(inPEM: ca.trustBundlePEM) == [plugin.root.certificate])
        #expect(ca.status.isPluginCA)
        #expect(ca.status.signingCertNotAfter == plugin.intermediate.certificate.notValidAfter)
        // The leaf alone verifies: the CA supplies its own intermediate.
        #expect(try ca.verifyClientChain([chain[0]]).serviceAccount == "cart")
        // No self-signed root was generated in the state directory.
        #expect(!FileManager.default.fileExists(atPath: state.file("root-key.pem")))
    }

    @Test("an unreadable key is refused, naming ca-key.pem")
    func unreadableKeyRefused() throws {
        let plugin = try PluginDirectory()
        let state = try TemporaryDirectory()
        defer {
            plugin.directory.remove()
            state.remove()
        }
        try plugin.write("ca-key.pem", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        try expectRefusal(plugin: plugin, state: state, naming: "ca-key.pem")
        try FileManager.default.removeItem(atPath: plugin.directory.file("ca-key.pem"))
        try expectRefusal(plugin: plugin, state: state, naming: "ca-key.pem")
    }

    @Test("a key that does not match ca-cert.pem is refused, naming ca-key.pem")
    func mismatchedKeyRefused() throws {
        let plugin = try PluginDirectory()
        let state = try TemporaryDirectory()
        defer {
            plugin.directory.remove()
            state.remove()
        }
        try plugin.write("ca-key.pem", try TestPKI.makeCA(name: "stranger").keyPEM)
        try expectRefusal(plugin: plugin, state: state, naming: "ca-key.pem", saying: "does not match")
    }

    @Test("an expired CA certificate is refused, naming ca-cert.pem")
    func expiredCARefused() throws {
        let plugin = try PluginDirectory(intermediateNotAfter: Date().addingTimeInterval(-60))
        let state = try TemporaryDirectory()
        defer {
            plugin.directory.remove()
            state.remove()
        }
        try expectRefusal(plugin: plugin, state: state, naming: "ca-cert.pem", saying: "expired")
    }

    @Test("a chain that does not lead to root-cert.pem is refused")
    func foreignRootRefused() throws {
        let plugin = try PluginDirectory()
        let state = try TemporaryDirectory()
        defer {
            plugin.directory.remove()
            state.remove()
        }
        try plugin.write("root-cert.pem", try TestPKI.makeCA(name: "unrelated root").certificatePEM)
        try expectRefusal(plugin: plugin, state: state, naming: "cert-chain.pem", saying: "root-cert.pem")
    }

    private func expectRefusal(
        plugin: PluginDirectory, state: TemporaryDirectory, naming file: String, saying words: String? = nil
    ) throws {
        #expect {
            try CertificateAuthority.load(
                stateDirectory: state.path, pluginDirectory: plugin.path, options: CAOptions())
        } throws: { error in
            let text = "\(error)"
            return text.contains("\(plugin.path)/\(file)") && (words.map(text.contains) ?? true)
        }
    }
}
