import Foundation
import Testing

@testable import CertificateAuthority

@Suite("Root rotation")
struct RotationTests {
    let identity = SPIFFEIdentity(namespace: "default", serviceAccount: "ratings")

    @Test("the new root is in the bundle with the old one before any leaf is signed by it; both leaves verify")
    func overlap() throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        let ca = try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        let oldRoot = try TestPKI.certificates(inPEM: ca.trustBundlePEM)[0]
        let oldLeaf = try TestPKI.certificates(inPEM: ca.issueWorkloadCertificate(for: identity).certificateChainPEM)

        try ca.rotateRoot()
        let bundle = try TestPKI.certificates(inPEM: ca.trustBundlePEM)
        #expect(bundle.count == 2)
        #expect(bundle.contains(oldRoot))
        let newRoot = try #require(bundle.first { $0 != oldRoot })
        #expect(ca.status.trustedRootCount == 2)

        let newLeaf = try TestPKI.certificates(inPEM: ca.issueWorkloadCertificate(for: identity).certificateChainPEM)
        #expect(newLeaf[0].issuer == newRoot.subject)
        #expect(newRoot.publicKey.isValidSignature(newLeaf[0].signature, for: newLeaf[0]))
        #expect(try ca.verifyClientChain(newLeaf) == identity)
        #expect(try ca.verifyClientChain(oldLeaf) == identity, "leaves of the old root stay valid during the overlap")

        // After a restart, the new root signs and the old one is still trusted.
        let restarted = try CertificateAuthority.load(
            stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        #expect(Set(try TestPKI.certificates(inPEM: restarted.trustBundlePEM)) == Set(bundle))
        let afterRestart = try TestPKI.certificates(
            inPEM: restarted.issueWorkloadCertificate(for: identity).certificateChainPEM)
        #expect(afterRestart[0].issuer == newRoot.subject)
        #expect(try restarted.verifyClientChain(oldLeaf) == identity)
    }

    @Test("the previous root leaves the bundle once the overlap (the maximum workload TTL) has passed")
    func overlapEnds() throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        let ca = try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        try ca.rotateRoot()
        let authority = ca.currentAuthority
        #expect(ca.liveRoots(of: authority, now: Date().addingTimeInterval(89 * 86_400)).count == 2)
        #expect(ca.liveRoots(of: authority, now: Date().addingTimeInterval(91 * 86_400)) == [authority.certificate])
    }

    @Test("a plug-in CA refuses rotation by meshd")
    func pluginRefusesRotation() throws {
        let plugin = try PluginDirectory()
        let state = try TemporaryDirectory()
        defer {
            plugin.directory.remove()
            state.remove()
        }
        let ca = try CertificateAuthority.load(
            stateDirectory: state.path, pluginDirectory: plugin.path, options: CAOptions())
        #expect(throws: CAError.self) { try ca.rotateRoot() }
    }
}
