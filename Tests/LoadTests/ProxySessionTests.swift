import EnvoyAPI
import SyntheticMesh
import Testing

@testable import meshd_load

/// The simulated proxy must follow Envoy's request sequence, or its figures say nothing about real sidecars.
@Suite struct ProxySessionTests {
    func response(_ kind: XDSKind, version: String, nonce: String) -> ProxySession.Response {
        var response = ProxySession.Response()
        response.typeURL = kind.typeURL
        response.versionInfo = version
        response.nonce = nonce
        return response
    }

    @Test func subscribesLikeEnvoyAndSyncsAfterAllFourAcks() {
        var session = ProxySession(node: Envoy_Config_Core_V3_Node(), nacks: false)
        let first = session.start()
        #expect(first.map(\.typeURL) == [XDSKind.cluster.typeURL, XDSKind.listener.typeURL])
        #expect(first[0].hasNode && !first[1].hasNode)

        let cds = session.received(
            response(.cluster, version: "c1", nonce: "1"), kind: .cluster, contentHash: 1, followUpNames: ["a", "b"])
        #expect(cds.map(\.typeURL) == [XDSKind.cluster.typeURL, XDSKind.endpoint.typeURL])
        #expect(cds[0].versionInfo == "c1" && cds[0].responseNonce == "1")
        #expect(cds[1].resourceNames == ["a", "b"])
        #expect(!session.isSynced)

        _ = session.received(
            response(.listener, version: "l1", nonce: "2"), kind: .listener, contentHash: 2, followUpNames: ["80"])
        _ = session.received(
            response(.endpoint, version: "e1", nonce: "3"), kind: .endpoint, contentHash: 3, followUpNames: nil)
        #expect(!session.isSynced)
        let rds = session.received(
            response(.route, version: "r1", nonce: "4"), kind: .route, contentHash: 4, followUpNames: nil)
        #expect(rds.count == 1 && rds[0].resourceNames == ["80"] && rds[0].responseNonce == "4")
        #expect(session.isSynced)

        // The same CDS names again: only an ACK, no new EDS subscription.
        let again = session.received(
            response(.cluster, version: "c2", nonce: "5"), kind: .cluster, contentHash: 5, followUpNames: ["a", "b"])
        #expect(again.count == 1)
    }

    @Test func nackingProxyRejectsRoutesWithErrorDetail() {
        var session = ProxySession(node: Envoy_Config_Core_V3_Node(), nacks: true)
        _ = session.start()
        _ = session.received(
            response(.listener, version: "l1", nonce: "1"), kind: .listener, contentHash: 1, followUpNames: ["80"])
        let nack = session.received(
            response(.route, version: "r1", nonce: "2"), kind: .route, contentHash: 2, followUpNames: nil)
        #expect(nack.count == 1)
        #expect(nack[0].hasErrorDetail && nack[0].versionInfo == "" && nack[0].responseNonce == "2")
    }
}
