import Foundation
import Testing
import X509

@testable import CertificateAuthority

@Suite("Client chain verification")
struct ClientChainTests {
    let identity = SPIFFEIdentity(namespace: "default", serviceAccount: "productpage")

    @Test("our own leaf is accepted and yields its identity, with or without the chain")
    func acceptsOwnLeaf() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let chain = try TestPKI.certificates(inPEM: ca.issueWorkloadCertificate(for: identity).certificateChainPEM)
        #expect(try ca.verifyClientChain(chain) == identity)
        #expect(try ca.verifyClientChain([chain[0]]) == identity)
    }

    @Test("a leaf from another CA is refused, even one claiming our trust domain")
    func refusesForeignLeaf() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let foreignRoot = try TestPKI.makeCA(name: "meshd root CA")
        let leaf = try TestPKI.makeLeaf(uri: identity.uri, issuer: foreignRoot)
        #expect(throws: CAError.self) { try ca.verifyClientChain([leaf, foreignRoot.certificate]) }
        // Another meshd's leaf, same trust domain and naming scheme.
        let (other, otherState) = try makeCA()
        defer { otherState.remove() }
        let otherChain = try TestPKI.certificates(
            inPEM: other.issueWorkloadCertificate(for: identity).certificateChainPEM)
        #expect(throws: CAError.self) { try ca.verifyClientChain(otherChain) }
    }

    @Test("an expired leaf signed by us is refused")
    func refusesExpiredLeaf() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let authority = ca.currentAuthority
        let key = try GeneratedKey(.ecdsaP256)
        let expired = try CertificateTemplates.workloadLeaf(
            publicKey: key.certificateKey.publicKey, identity: identity,
            validity: Date().addingTimeInterval(-7200)...Date().addingTimeInterval(-60), issuer: authority)
        #expect { try ca.verifyClientChain([expired]) } throws: { "\($0)".contains("expired") }
    }

    @Test("a serving certificate (no SPIFFE URI, no client auth) is refused as a client identity")
    func refusesServingCertificate() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let chain = try TestPKI.certificates(inPEM: ca.issueServingCertificate().certificateChainPEM)
        #expect(throws: CAError.self) { try ca.verifyClientChain(chain) }
        #expect(throws: CAError.self) { try ca.verifyClientChain([]) }
    }

    private func makeCA() throws -> (CertificateAuthority, TemporaryDirectory) {
        let state = try TemporaryDirectory()
        return (
            try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions()), state
        )
    }
}
